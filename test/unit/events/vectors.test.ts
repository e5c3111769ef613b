import { describe, expect, it } from 'vitest';
import { encodeEnvelope, encodeEvent, envelopeBody } from '../../../src/events/encode.js';
import { parseEnvelope } from '../../../src/events/parse.js';
import { formatTimestamp, ZeroTimestamp } from '../../../src/events/timestamp.js';
import { EventsMediaType, EventsMediaTypeV2 } from '../../../src/events/types.js';
import type { Event, Target } from '../../../src/events/types.js';

// docs/compatibility.md §1.8, Vector A (notifications/event_test.go TestEventEnvelopeJSONFormat).
function vectorAEvent(i: number, mediaType: string, digest: string): Event {
  return {
    id: `asdf-asdf-asdf-asdf-${i}`,
    timestamp: '2006-01-02T15:04:05Z',
    action: 'push',
    target: {
      mediaType,
      digest,
      size: i + 1,
      length: i + 1,
      repository: 'library/test',
      url: 'http://example.com/v2/library/test/manifests/latest',
    },
    request: {
      id: 'asdfasdf',
      addr: 'client.local',
      host: 'registrycluster.local',
      method: 'PUT',
      useragent: 'test/0.1',
    },
    actor: { name: 'test-actor' },
    source: { addr: 'hostname.local:port' },
  };
}

const layer = 'application/vnd.docker.container.image.rootfs.diff+x-gtar';
function vectorA(firstMediaType: string): Event[] {
  return [
    vectorAEvent(0, firstMediaType, 'sha256:0123456789abcdef0'),
    vectorAEvent(
      1,
      layer,
      'sha256:3b3692957d439ac1928219a83fac91e7bf96c153725526874673ae1f2023f8d5',
    ),
    vectorAEvent(
      2,
      layer,
      'sha256:3b3692957d439ac1928219a83fac91e7bf96c153725526874673ae1f2023f8d6',
    ),
  ];
}

function vectorAText(firstMediaType: string, v1: boolean): string {
  const block = (i: number, mediaType: string, digest: string): string => {
    const size = `            "size": ${i + 1},\n`;
    const dig = `            "digest": "${digest}",\n`;
    return `      {
         "id": "asdf-asdf-asdf-asdf-${i}",
         "timestamp": "2006-01-02T15:04:05Z",
         "action": "push",
         "target": {
            "mediaType": "${mediaType}",
${v1 ? size + dig : dig + size}            "length": ${i + 1},
            "repository": "library/test",
            "url": "http://example.com/v2/library/test/manifests/latest"
         },
         "request": {
            "id": "asdfasdf",
            "addr": "client.local",
            "host": "registrycluster.local",
            "method": "PUT",
            "useragent": "test/0.1"
         },
         "actor": {
            "name": "test-actor"
         },
         "source": {
            "addr": "hostname.local:port"
         }
      }`;
  };
  return `{
   "events": [
${block(0, firstMediaType, 'sha256:0123456789abcdef0')},
${block(1, layer, 'sha256:3b3692957d439ac1928219a83fac91e7bf96c153725526874673ae1f2023f8d5')},
${block(2, layer, 'sha256:3b3692957d439ac1928219a83fac91e7bf96c153725526874673ae1f2023f8d6')}
   ]
}`;
}

function deleteEvent(target: Target): Event {
  return {
    id: '0198e0a4-5a50-7d2a-8f00-aaaaaaaaaaaa',
    timestamp: '2025-01-02T03:04:05.6Z',
    action: 'delete',
    target,
    request: {
      id: '0198e0a4-5a4f-7c1e-9b1a-3c0b7f6d2e11',
      addr: '10.0.0.7',
      host: 'registry.example.com:5000',
      method: 'DELETE',
      useragent: 'curl/8.5.0',
    },
    actor: {},
    source: { addr: 'reg-host:5000', instanceID: '0198e0a0-0000-7000-8000-000000000001' },
  };
}

const manifestDigest = 'sha256:d89e1bee20d9cb344674e213b581f14fbd8e70274ecf9d10c514bab78a307845';

describe('Vector A (docs/compatibility.md §1.8)', () => {
  it('v2 layout, byte for byte', () => {
    const v2Manifest = 'application/vnd.docker.distribution.manifest.v2+json';
    const expected = vectorAText(v2Manifest, false);
    expect(encodeEnvelope(vectorA(v2Manifest), EventsMediaTypeV2)).toBe(expected);
    expect(encodeEnvelope({ events: vectorA(v2Manifest) }, EventsMediaTypeV2)).toBe(expected);
  });

  it('v1 layout (v2.8.3 variant: schema1 manifest, size before digest), byte for byte', () => {
    const schema1 = 'application/vnd.docker.distribution.manifest.v1+prettyjws';
    const expected = vectorAText(schema1, true);
    expect(encodeEnvelope(vectorA(schema1))).toBe(expected);
    expect(encodeEnvelope(vectorA(schema1), EventsMediaType)).toBe(expected);
  });

  it('parses back to the same events and bytes in either layout', () => {
    for (const [mt, v1] of [
      [EventsMediaType, true],
      [EventsMediaTypeV2, false],
    ] as const) {
      const body = vectorAText('application/vnd.oci.image.manifest.v1+json', v1);
      const parsed = parseEnvelope(body);
      expect(parsed.mediaType).toBe(mt);
      expect(parsed.events).toEqual(vectorA('application/vnd.oci.image.manifest.v1+json'));
      expect(envelopeBody(parsed.events.map((e) => encodeEvent(structuredClone(e), mt)))).toBe(
        body,
      );
    }
  });
});

describe('delete shapes (docs/compatibility.md §1.8 Vector C and bullets)', () => {
  it('Vector C: v2 manifest delete carries empty mediaType and size 0', () => {
    const body = encodeEnvelope(
      [deleteEvent({ mediaType: '', digest: manifestDigest, size: 0, repository: 'library/test' })],
      EventsMediaTypeV2,
    );
    expect(body).toBe(`{
   "events": [
      {
         "id": "0198e0a4-5a50-7d2a-8f00-aaaaaaaaaaaa",
         "timestamp": "2025-01-02T03:04:05.6Z",
         "action": "delete",
         "target": {
            "mediaType": "",
            "digest": "${manifestDigest}",
            "size": 0,
            "repository": "library/test"
         },
         "request": {
            "id": "0198e0a4-5a4f-7c1e-9b1a-3c0b7f6d2e11",
            "addr": "10.0.0.7",
            "host": "registry.example.com:5000",
            "method": "DELETE",
            "useragent": "curl/8.5.0"
         },
         "actor": {},
         "source": {
            "addr": "reg-host:5000",
            "instanceID": "0198e0a0-0000-7000-8000-000000000001"
         }
      }
   ]
}`);
  });

  const target = (e: Event, mt: typeof EventsMediaType | typeof EventsMediaTypeV2): string => {
    const raw = encodeEvent(e, mt);
    return raw.slice(raw.indexOf('"target":') + 9, raw.indexOf(',"request":'));
  };

  it('v2 tag delete and repo delete', () => {
    const tagDelete = deleteEvent({
      mediaType: '',
      digest: '',
      size: 0,
      repository: 'library/test',
      tag: 'latest',
    });
    expect(target(tagDelete, EventsMediaTypeV2)).toBe(
      '{"mediaType":"","digest":"","size":0,"repository":"library/test","tag":"latest"}',
    );
    const repoDelete = deleteEvent({
      mediaType: '',
      digest: '',
      size: 0,
      repository: 'library/test',
    });
    expect(target(repoDelete, EventsMediaTypeV2)).toBe(
      '{"mediaType":"","digest":"","size":0,"repository":"library/test"}',
    );
  });

  it('v1 delete and tag delete omit every empty descriptor field', () => {
    const del = deleteEvent({
      mediaType: '',
      digest: manifestDigest,
      size: 0,
      repository: 'library/test',
    });
    expect(target(del, EventsMediaType)).toBe(
      `{"digest":"${manifestDigest}","repository":"library/test"}`,
    );
    const tagDelete = deleteEvent({
      mediaType: '',
      digest: '',
      size: 0,
      repository: 'library/test',
      tag: 'latest',
    });
    expect(target(tagDelete, EventsMediaType)).toBe('{"repository":"library/test","tag":"latest"}');
  });
});

describe('Vector D: descriptor extras and reference platforms', () => {
  const mount: Event = {
    ...deleteEvent({
      mediaType: 'application/octet-stream',
      digest: manifestDigest,
      size: 3,
      length: 3,
      repository: 'other/app',
      fromRepository: 'demo/app',
      url: 'http://r/v2/other/app/blobs/x',
      urls: ['https://cdn/a'],
      annotations: { 'z.key': '1', 'a.key': '<2>', B: '3', é: '4', '😀': '5', '\uffff': '6' },
      data: 'YWJj',
      artifactType: 'application/vnd.example+type',
    }),
    action: 'mount',
  };

  it('v2 target order: mediaType digest size urls annotations(sorted) data artifactType length repository fromRepository url', () => {
    const raw = encodeEvent(mount, EventsMediaTypeV2);
    expect(raw).toContain(
      `"target":{"mediaType":"application/octet-stream","digest":"${manifestDigest}","size":3,"urls":["https://cdn/a"],` +
        '"annotations":{"B":"3","a.key":"\\u003c2\\u003e","z.key":"1","é":"4","\uffff":"6","😀":"5"},' +
        '"data":"YWJj","artifactType":"application/vnd.example+type","length":3,"repository":"other/app",' +
        '"fromRepository":"demo/app","url":"http://r/v2/other/app/blobs/x"},',
    );
  });

  it('v1 target has no data or artifactType, size before digest', () => {
    const raw = encodeEvent(mount, EventsMediaType);
    expect(raw).toContain(
      `"target":{"mediaType":"application/octet-stream","size":3,"digest":"${manifestDigest}","urls":["https://cdn/a"],"annotations":{`,
    );
    expect(raw).not.toContain('"data"');
    expect(raw).not.toContain('artifactType');
  });

  it('manifest-list references keep a platform with empty architecture/os; optional platform fields follow', () => {
    const list = deleteEvent({
      mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json',
      digest: manifestDigest,
      size: 10,
      repository: 'r',
      references: [
        { mediaType: 'm', digest: 'sha256:1', size: 1, platform: { architecture: '', os: '' } },
        {
          mediaType: 'm',
          digest: 'sha256:2',
          size: 2,
          platform: {
            architecture: 'arm64',
            os: 'linux',
            'os.version': '1',
            'os.features': ['f'],
            variant: 'v8',
          },
        },
      ],
    });
    const refs =
      '"references":[{"mediaType":"m","digest":"sha256:1","size":1,"platform":{"architecture":"","os":""}},' +
      '{"mediaType":"m","digest":"sha256:2","size":2,"platform":{"architecture":"arm64","os":"linux","os.version":"1","os.features":["f"],"variant":"v8"}}]';
    expect(encodeEvent(list, EventsMediaTypeV2)).toContain(refs);
    expect(encodeEvent(list, EventsMediaType)).toContain(
      '"references":[{"mediaType":"m","size":1,"digest":"sha256:1","platform":{"architecture":"","os":""}},',
    );
  });
});

describe('event-level presence rules', () => {
  it('escapes the actor name and keeps empty records, omits empty id/action', () => {
    const e = deleteEvent({ mediaType: '', digest: '', size: 0 });
    const raw = encodeEvent({
      ...e,
      id: '',
      action: '',
      actor: { name: '<a&b>\u2028"é' },
      request: { id: '', method: '', useragent: '' },
      source: {},
    });
    expect(raw).toBe(
      '{"timestamp":"2025-01-02T03:04:05.6Z","target":{},"request":{"id":"","method":"","useragent":""},' +
        '"actor":{"name":"\\u003ca\\u0026b\\u003e\\u2028\\"é"},"source":{}}',
    );
  });

  it('an empty envelope marshals as {} (Envelope.Events is omitempty)', () => {
    expect(encodeEnvelope([])).toBe('{}');
    expect(envelopeBody([])).toBe('{}');
  });
});

describe('timestamps (docs/compatibility.md §1.5)', () => {
  const base = Date.UTC(2025, 0, 2, 3, 4, 5);
  it.each([
    [600, 0, '2025-01-02T03:04:05.6Z'],
    [0, 100, '2025-01-02T03:04:05.0000001Z'],
    [123, 456_000, '2025-01-02T03:04:05.123456Z'],
    [0, 0, '2025-01-02T03:04:05Z'],
    [402, 973_972, '2025-01-02T03:04:05.402973972Z'],
  ])('ms %d + ns %d → %s', (ms, ns, expected) => {
    expect(formatTimestamp(new Date(base + ms), ns)).toBe(expected);
  });

  it('zero time', () => {
    expect(ZeroTimestamp).toBe('0001-01-01T00:00:00Z');
  });
});

describe('schema encoder guards', () => {
  it('refuses sizes that Go could not marshal as int64', () => {
    const e = deleteEvent({ mediaType: '', digest: '', size: 1.5 });
    expect(() => encodeEvent(e, EventsMediaTypeV2)).toThrow(TypeError);
    expect(() => encodeEvent({ ...e, target: { ...e.target, size: 0, length: 2.5 } })).toThrow(
      TypeError,
    );
  });
});
