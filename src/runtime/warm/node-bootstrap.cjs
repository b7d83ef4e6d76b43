'use strict';
// A warm node sandbox: started ahead of demand by Gantry's warm template, it says
// it is ready on fd 4 (and later its exit code), reads its one snippet from fd 3 to end of file and runs
// it as `node -e` would (require, module, __filename in scope; an uncaught
// error prints its stack and exits 1).
const fs = require('node:fs');
const vm = require('node:vm');
const Module = require('node:module');

fs.writeSync(4, 'R');
// The exit code goes to the template before node is torn down, so the answer need not wait for that.
process.on('exit', (code) => {
  try {
    fs.writeSync(4, `X${code & 0xff}\n`);
  } catch {
    // The template is gone; so is the answer.
  }
});
const request = fs.readFileSync(3);
fs.closeSync(3);
const newline = request.indexOf(10);
const code = request.subarray(newline + 1).toString('utf8');
const main = new Module('[eval]');
main.filename = '/tmp/[eval]';
main.paths = Module._nodeModulePaths('/tmp');
globalThis.require = Module.createRequire('/tmp/[eval]');
globalThis.module = main;
globalThis.exports = main.exports;
globalThis.__filename = '[eval]';
globalThis.__dirname = '.';
vm.runInThisContext(code, { filename: '[eval]' });
