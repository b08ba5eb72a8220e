// One place that turns TEMPORAL_* settings into client and worker connections, so the same code
// runs against the local dev server, a self-hosted cluster (mTLS) or Temporal Cloud (API key).
import { readFileSync } from 'node:fs';
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import type { TemporalEnv } from '../config/env.ts';

function tlsOptions(env: TemporalEnv): ConnectionOptions['tls'] {
  if (env.TEMPORAL_TLS_CERT_PATH && env.TEMPORAL_TLS_KEY_PATH) {
    return {
      serverNameOverride: env.TEMPORAL_TLS_SERVER_NAME,
      clientCertPair: {
        crt: readFileSync(env.TEMPORAL_TLS_CERT_PATH),
        key: readFileSync(env.TEMPORAL_TLS_KEY_PATH),
      },
    };
  }
  if (env.TEMPORAL_API_KEY || env.TEMPORAL_TLS) return true;
  return undefined;
}

function connectionOptions(env: TemporalEnv) {
  return {
    address: env.TEMPORAL_ADDRESS,
    tls: tlsOptions(env),
    apiKey: env.TEMPORAL_API_KEY,
    metadata: env.TEMPORAL_API_KEY ? { 'temporal-namespace': env.TEMPORAL_NAMESPACE } : undefined,
  };
}

export async function connectClient(env: TemporalEnv): Promise<Client> {
  const connection = await Connection.connect(connectionOptions(env) as ConnectionOptions);
  return new Client({ connection, namespace: env.TEMPORAL_NAMESPACE });
}

export function connectWorker(env: TemporalEnv): Promise<NativeConnection> {
  return NativeConnection.connect(connectionOptions(env) as NativeConnectionOptions);
}
