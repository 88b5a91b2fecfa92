// Loaded with --import before an entry forked by the fake utilityProcess (fake-electron.ts), so the
// entry runs unchanged: Electron gives a utility process `process.parentPort`, whose listeners get
// MessageEvents ({ data }); Node's fork gives process.send, and 'message' listeners get the data.
import { EventEmitter } from 'node:events';

const port = new EventEmitter();
port.postMessage = (message) => {
  if (process.connected) process.send(message);
};
// Electron's parentPort queues what arrives until the first 'message' listener starts it: the app
// may send before the entry has loaded. Node's process drops messages nobody listens to.
const queued = [];
let started = false;
const flush = () => {
  for (const event of queued.splice(0)) port.emit('message', event);
};
process.on('message', (data) => {
  queued.push({ data, ports: [] });
  if (started) flush();
});
port.on('newListener', (event) => {
  if (event !== 'message' || started) return;
  started = true;
  // 'newListener' fires before the listener is added.
  setImmediate(flush);
});
// A utility process does not outlive the app: if the test's worker dies, so does the child.
process.on('disconnect', () => process.exit(0));
process.parentPort = port;
