import { StoreBroker } from '../../src/broker/store-broker.js';
import { openStore } from '../../src/store/open.js';
import { createTestDatabase, STORES } from '../support/stores.js';
import { describeBrokerConformance } from './broker-conformance.js';

for (const kind of STORES) {
  describeBrokerConformance(`the embedded broker on ${kind}`, async ({ maxDeliveries }) => {
    const database = await createTestDatabase(kind);
    const store = await openStore({ database: database.database, dataDir: database.dataDir });
    const broker = new StoreBroker(store, { address: () => 'http://127.0.0.1:1', tokenOf: (id) => `token-of-${id}`, maxDeliveries, pollMs: 50 });
    return {
      broker,
      close: async () => {
        await broker.stop();
        await store.close();
        await database.drop();
      },
    };
  });
}
