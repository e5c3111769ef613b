/**
 * The Go notifications API from Node, end to end, with nothing but Node: a Bridge turns
 * registry operations into events, an Endpoint (ignore filter → queue → retrying sink with the
 * breaker → HTTP sink) POSTs them, byte-compatible with the Go registry.
 *
 *   npm run build && node dist/examples/library.js
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Bridge, Endpoint, URLBuilder, withTag } from '../src/index.js';

// A receiver standing in for your webhook consumer: prints what it gets.
const received: string[] = [];
const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (chunk: Buffer) => (body += chunk.toString()));
  req.on('end', () => {
    received.push(body);
    console.log(`${req.method} ${req.url} ${req.headers['content-type']}\n${body}\n`);
    res.end();
  });
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;

// NewEndpoint(name, url, config): defaults timeout 1s, threshold 10, backoff 1s, as in Go.
const endpoint = new Endpoint('example', url, {
  headers: { Authorization: ['Bearer s3cret'] },
  ignore: { actions: ['pull'] }, // pulls are not sent to this endpoint
});

// NewBridge(ub, source, actor, request, sink, includeReferences)
const bridge = new Bridge({
  urlBuilder: URLBuilder.fromString('https://registry.example.com/'),
  source: { addr: 'registry-0:5000', instanceID: 'b8d1a0c2-5e7f-4a51-9c3e-7f0f5d7e2a11' },
  actor: { name: 'alice' },
  request: {
    id: 'req-1',
    addr: '10.0.0.7',
    host: 'registry.example.com',
    method: 'PUT',
    useragent: 'docker/27.0',
  },
  sink: endpoint,
  includeReferences: true,
});

const manifest = JSON.stringify({
  schemaVersion: 2,
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  config: {
    mediaType: 'application/vnd.oci.image.config.v1+json',
    digest: `sha256:${'c'.repeat(64)}`,
    size: 173,
  },
  layers: [
    {
      mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
      digest: `sha256:${'d'.repeat(64)}`,
      size: 113,
    },
  ],
});
await bridge.manifestPushed(
  'demo/app',
  { mediaType: 'application/vnd.oci.image.manifest.v1+json', payload: manifest },
  withTag('v1'),
);
await bridge.manifestPulled('demo/app', {
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  payload: manifest,
}); // ignored
await bridge.tagDeleted('demo/app', 'v1');

await endpoint.close(); // drains the queue first
console.log('metrics:', JSON.stringify(endpoint.readMetrics()));
server.close();
if (received.length !== 2) throw new Error(`expected 2 deliveries, got ${received.length}`);
