// Runs s3rver in a process of its own (started by s3-server.mjs), so that it can have OpenSSL's
// legacy provider: s3rver 3.7 encrypts ListObjectsV2 continuation tokens with DES, which Node 17+
// (OpenSSL 3) refuses without --openssl-legacy-provider, failing every paginated listing with
// InternalError. Prints {"port":N} on stdout once listening; stops on SIGTERM or when the parent goes.
import S3rver from 's3rver';

const directory = process.argv[2];
const server = new S3rver({ address: '127.0.0.1', port: 0, directory, silent: true });
const { port } = await server.run();
process.stdout.write(JSON.stringify({ port }) + '\n');

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  server.httpServer.closeAllConnections();
  server.close().finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.on('disconnect', stop); // the parent (jest) went away
