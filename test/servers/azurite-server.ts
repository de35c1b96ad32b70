/**
 * Starts Azurite (queue and table services) in memory on free loopback ports.
 * `--skipApiVersionCheck`: the current storage SDKs send an API version newer than Azurite knows.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { canConnect, freePort, waitFor } from './free-port';

export interface AzuriteServer {
  queuePort: number;
  tablePort: number;
  blobPort: number;
  /** The well-known development account connection string pointing at these ports. */
  connectionString: string;
  pid: number;
  stop(): Promise<void>;
}

/** Azurite's fixed development account (public, documented: not a secret). */
export const DEV_ACCOUNT = 'devstoreaccount1';
export const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export async function startAzurite(): Promise<AzuriteServer> {
  const [blobPort, queuePort, tablePort] = [await freePort(), await freePort(), await freePort()];
  const bin = path.join(__dirname, '..', '..', 'node_modules', 'azurite', 'dist', 'src', 'azurite.js');
  const child = spawn(
    process.execPath,
    [bin, '--silent', '--inMemoryPersistence', '--skipApiVersionCheck', '--loose', '--blobHost', '127.0.0.1', '--queueHost', '127.0.0.1', '--tableHost', '127.0.0.1', '--blobPort', String(blobPort), '--queuePort', String(queuePort), '--tablePort', String(tablePort)],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitFor('azurite', async () => {
    if (child.exitCode !== null) throw new Error(`azurite exited: ${stderr}`);
    return (await canConnect(queuePort)) && (await canConnect(tablePort));
  });
  const connectionString = [
    'DefaultEndpointsProtocol=http',
    `AccountName=${DEV_ACCOUNT}`,
    `AccountKey=${DEV_KEY}`,
    `BlobEndpoint=http://127.0.0.1:${blobPort}/${DEV_ACCOUNT}`,
    `QueueEndpoint=http://127.0.0.1:${queuePort}/${DEV_ACCOUNT}`,
    `TableEndpoint=http://127.0.0.1:${tablePort}/${DEV_ACCOUNT}`,
  ].join(';');
  return {
    blobPort,
    queuePort,
    tablePort,
    connectionString,
    pid: child.pid ?? -1,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}
