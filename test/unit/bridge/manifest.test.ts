import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  describeManifest,
  MediaTypeDockerManifest,
  MediaTypeDockerManifestList,
  MediaTypeOCIIndex,
  MediaTypeOCIManifest,
} from '../../../src/bridge/manifest.js';
import { ManifestError } from '../../../src/errors.js';

const d = (c: string): string => `sha256:${c.repeat(64)}`;
const config = {
  mediaType: 'application/vnd.docker.container.image.v1+json',
  digest: d('c'),
  size: 7,
};
const layer = {
  mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  digest: d('1'),
  size: 100,
  urls: ['https://example.com/l'],
  annotations: { 'org.example': 'x' },
};

describe('describeManifest', () => {
  it('digests and sizes the payload bytes, keeping the payload media type with parameters', () => {
    const payload = new TextEncoder().encode(
      JSON.stringify({ schemaVersion: 2, mediaType: MediaTypeDockerManifest, config, layers: [] }),
    );
    const mediaType = `${MediaTypeDockerManifest}; charset=utf-8`;
    const desc = describeManifest({ mediaType, payload });
    expect(desc.mediaType).toBe(mediaType);
    expect(desc.size).toBe(payload.byteLength);
    expect(desc.digest).toBe(`sha256:${createHash('sha256').update(payload).digest('hex')}`);
  });

  it('schema2: config then layers', () => {
    const payload = JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaTypeDockerManifest,
      config,
      layers: [layer, { ...layer, digest: d('2') }],
    });
    const { references } = describeManifest({ mediaType: MediaTypeDockerManifest, payload });
    expect(references).toEqual([config, layer, { ...layer, digest: d('2') }]);
  });

  it('OCI manifest: config then layers, no subject; data and artifactType copied', () => {
    const withData = { ...layer, data: 'aGk=', artifactType: 'application/x-art' };
    const payload = JSON.stringify({
      schemaVersion: 2,
      config,
      layers: [withData],
      subject: { mediaType: MediaTypeOCIManifest, digest: d('5'), size: 9 },
    });
    const { references } = describeManifest({ mediaType: MediaTypeOCIManifest, payload });
    expect(references).toEqual([config, withData]);
  });

  it('Docker manifest list: every entry gets a platform, features dropped, empty fields omitted', () => {
    const payload = JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaTypeDockerManifestList,
      manifests: [
        {
          mediaType: MediaTypeDockerManifest,
          digest: d('a'),
          size: 10,
          platform: {
            architecture: 'arm64',
            os: 'linux',
            variant: 'v8',
            'os.version': '',
            features: ['sse4'],
            'os.features': ['win32k'],
          },
        },
        { mediaType: MediaTypeDockerManifest, digest: d('b'), size: 11 },
      ],
    });
    const { references } = describeManifest({ mediaType: MediaTypeDockerManifestList, payload });
    expect(references).toEqual([
      {
        mediaType: MediaTypeDockerManifest,
        digest: d('a'),
        size: 10,
        platform: { architecture: 'arm64', os: 'linux', 'os.features': ['win32k'], variant: 'v8' },
      },
      {
        mediaType: MediaTypeDockerManifest,
        digest: d('b'),
        size: 11,
        platform: { architecture: '', os: '' },
      },
    ]);
  });

  it('OCI index: manifests verbatim, platform only where present', () => {
    const withPlatform = {
      mediaType: MediaTypeOCIManifest,
      digest: d('a'),
      size: 10,
      annotations: { a: 'b' },
      platform: { architecture: 'amd64', os: 'linux' },
    };
    const without = { mediaType: MediaTypeOCIManifest, digest: d('b'), size: 11 };
    const payload = JSON.stringify({ schemaVersion: 2, manifests: [withPlatform, without] });
    const { references } = describeManifest({ mediaType: MediaTypeOCIIndex, payload });
    expect(references).toEqual([withPlatform, without]);
    expect(references[1]).not.toHaveProperty('platform');
  });

  it.each([
    ['an unknown media type', 'application/json', '{}'],
    ['an empty media type', '', '{}'],
    ['a payload that is not JSON', MediaTypeOCIManifest, '{'],
    ['a JSON array', MediaTypeOCIManifest, '[]'],
    ['a schema2 payload naming another media type', MediaTypeDockerManifest, '{"mediaType":"x"}'],
    ['an OCI manifest holding manifests', MediaTypeOCIManifest, '{"manifests":[]}'],
    ['an OCI index holding a config', MediaTypeOCIIndex, '{"config":{}}'],
    ['a size that is a string', MediaTypeOCIManifest, '{"config":{"size":"1"}}'],
    ['layers that are not an array', MediaTypeOCIManifest, '{"layers":{}}'],
    ['data that is not base64', MediaTypeOCIManifest, '{"config":{"data":"!!"}}'],
  ])('throws ManifestError for %s', (_what, mediaType, payload) => {
    expect(() => describeManifest({ mediaType, payload })).toThrow(ManifestError);
  });
});
