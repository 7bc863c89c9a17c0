// Runs verdaccio for the end-to-end tests (test/helpers/registry.ts starts it with node, not jest):
// on 127.0.0.1 and a free port, which it reports over IPC. It stops by itself when the test process
// goes away (IPC disconnect) or after the time limit it is given, whatever happens to the tests.
const { runServer } = require('verdaccio');

const [config, limitMs] = process.argv.slice(2);
setTimeout(() => process.exit(0), Number(limitMs) || 600000).unref();
process.on('disconnect', () => process.exit(0));
runServer(config).then(
  (server) => server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port })),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
