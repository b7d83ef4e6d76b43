'use strict';
// Runs inside an application's private network (started under nsenter). The
// node hands it each connection accepted on a host port, with where to take
// it; it connects to that member and copies bytes both ways until either side
// closes. It keeps no state and ends when its parent does.
const net = require('node:net');

process.on('message', (target, socket) => {
  if (!socket || !target || typeof target.address !== 'string' || !Number.isInteger(target.port)) {
    socket?.destroy();
    return;
  }
  const upstream = net.connect({ host: target.address, port: target.port });
  const end = () => {
    socket.destroy();
    upstream.destroy();
  };
  socket.on('error', end);
  upstream.on('error', end);
  socket.pipe(upstream);
  upstream.pipe(socket);
  socket.on('close', () => upstream.destroy());
  upstream.on('close', () => socket.destroy());
});
process.on('disconnect', () => process.exit(0));
