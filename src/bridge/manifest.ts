import { createHash } from 'node:crypto';
import { ManifestError } from '../errors.js';
import type { Descriptor, Platform } from '../events/types.js';

export const MediaTypeDockerManifest = 'application/vnd.docker.distribution.manifest.v2+json';
export const MediaTypeDockerManifestList =
  'application/vnd.docker.distribution.manifest.list.v2+json';
export const MediaTypeOCIManifest = 'application/vnd.oci.image.manifest.v1+json';
export const MediaTypeOCIIndex = 'application/vnd.oci.image.index.v1+json';

/**
 * A manifest as the bridge sees it: Go's `Manifest.Payload()` — the media type it was stored
 * under and its canonical bytes (exactly what was pushed).
 */
export interface Manifest {
  mediaType: string;
  payload: Uint8Array | string;
}

/** What an event says about a manifest (Go's `UnmarshalManifest` descriptor + `References()`). */
export interface ManifestDescription {
  /** The payload media type, parameters included (the event carries it as given). */
  mediaType: string;
  /** `sha256:` of the payload bytes. */
  digest: string;
  /** Byte length of the payload. */
  size: number;
  references: Descriptor[];
}

/**
 * Describe a manifest the way the Go bridge does (docs/compatibility.md §2.2): dispatch on the media type
 * without `;params`, parse, list references. Throws ManifestError for an unknown media type or
 * content that would not unmarshal, and the bridge then writes no event.
 */
export function describeManifest(m: Manifest): ManifestDescription {
  const bytes = typeof m.payload === 'string' ? Buffer.from(m.payload, 'utf8') : m.payload;
  const essence = (m.mediaType.split(';')[0] ?? '').trim().toLowerCase();
  const parse = Parsers.get(essence);
  if (!parse) throw new ManifestError(m.mediaType, 'unsupported manifest media type');
  const doc = parseObject(m.mediaType, Buffer.from(bytes).toString('utf8'));
  const references = parse(doc, m.mediaType);
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  return { mediaType: m.mediaType, digest, size: bytes.byteLength, references };
}

type JsonRecord = Record<string, unknown>;
type ReferenceParser = (doc: JsonRecord, mediaType: string) => Descriptor[];

/** schema2 and OCI image manifests: `[config, ...layers]`; an OCI `subject` is not a reference. */
function imageReferences(doc: JsonRecord, mediaType: string): Descriptor[] {
  const config = doc.config === undefined ? {} : asObject(doc.config, mediaType, 'config');
  return [copyDescriptor(config, mediaType, 'config'), ...descriptorList(doc, 'layers', mediaType)];
}

function schema2References(doc: JsonRecord, mediaType: string): Descriptor[] {
  // schema2's unmarshal insists the document names its own media type.
  expectMediaTypeField(doc, mediaType, [MediaTypeDockerManifest]);
  return imageReferences(doc, mediaType);
}

function ociManifestReferences(doc: JsonRecord, mediaType: string): Descriptor[] {
  expectMediaTypeField(doc, mediaType, ['', MediaTypeOCIManifest]);
  if (doc.manifests !== undefined) throw new ManifestError(mediaType, 'has "manifests": an index?');
  return imageReferences(doc, mediaType);
}

/** Docker list entries always get a platform; its `features` has no place in an OCI platform. */
function listReferences(doc: JsonRecord, mediaType: string): Descriptor[] {
  expectMediaTypeField(doc, mediaType, [MediaTypeDockerManifestList]);
  return objectList(doc, 'manifests', mediaType).map((entry, i) => {
    const where = `manifests[${i}]`;
    const desc = copyDescriptor({ ...entry, platform: undefined }, mediaType, where);
    const p = entry.platform === undefined ? {} : asObject(entry.platform, mediaType, where);
    desc.platform = copyPlatform(p, mediaType, `${where}.platform`);
    return orderDescriptor(desc);
  });
}

function indexReferences(doc: JsonRecord, mediaType: string): Descriptor[] {
  expectMediaTypeField(doc, mediaType, ['', MediaTypeOCIIndex]);
  if (doc.config !== undefined) throw new ManifestError(mediaType, 'has "config": a manifest?');
  return descriptorList(doc, 'manifests', mediaType);
}

const Parsers: ReadonlyMap<string, ReferenceParser> = new Map([
  [MediaTypeDockerManifest, schema2References],
  [MediaTypeOCIManifest, ociManifestReferences],
  [MediaTypeDockerManifestList, listReferences],
  [MediaTypeOCIIndex, indexReferences],
]);

function parseObject(mediaType: string, text: string): JsonRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ManifestError(mediaType, 'payload is not JSON', { cause: err });
  }
  return asObject(value, mediaType, 'payload');
}

function expectMediaTypeField(doc: JsonRecord, mediaType: string, allowed: string[]): void {
  const field = optionalString(doc.mediaType, mediaType, 'mediaType');
  if (!allowed.includes(field)) {
    throw new ManifestError(mediaType, `mediaType field ${JSON.stringify(field)} does not match`);
  }
}

function descriptorList(doc: JsonRecord, key: string, mediaType: string): Descriptor[] {
  return objectList(doc, key, mediaType).map((d, i) =>
    copyDescriptor(d, mediaType, `${key}[${i}]`),
  );
}

function objectList(doc: JsonRecord, key: string, mediaType: string): JsonRecord[] {
  const value = doc[key];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new ManifestError(mediaType, `${key}: not an array`);
  return value.map((item: unknown, i) => asObject(item, mediaType, `${key}[${i}]`));
}

/** The OCI descriptor field set, omitempty fields only when set (as Go would re-marshal them). */
function copyDescriptor(d: JsonRecord, mediaType: string, where: string): Descriptor {
  const desc: Descriptor = {
    mediaType: optionalString(d.mediaType, mediaType, `${where}.mediaType`),
    digest: optionalString(d.digest, mediaType, `${where}.digest`),
    size: optionalSize(d.size, mediaType, `${where}.size`),
  };
  const urls = optionalStrings(d.urls, mediaType, `${where}.urls`);
  if (urls.length > 0) desc.urls = urls;
  const annotations = optionalStringMap(d.annotations, mediaType, `${where}.annotations`);
  if (annotations) desc.annotations = annotations;
  const data = optionalString(d.data, mediaType, `${where}.data`);
  if (data) desc.data = canonicalBase64(data, mediaType, `${where}.data`);
  if (d.platform !== undefined && d.platform !== null) {
    const p = asObject(d.platform, mediaType, `${where}.platform`);
    desc.platform = copyPlatform(p, mediaType, `${where}.platform`);
  }
  const artifactType = optionalString(d.artifactType, mediaType, `${where}.artifactType`);
  if (artifactType) desc.artifactType = artifactType;
  return desc;
}

function copyPlatform(p: JsonRecord, mediaType: string, where: string): Platform {
  const platform: Platform = {
    architecture: optionalString(p.architecture, mediaType, `${where}.architecture`),
    os: optionalString(p.os, mediaType, `${where}.os`),
  };
  const osVersion = optionalString(p['os.version'], mediaType, `${where}.os.version`);
  if (osVersion) platform['os.version'] = osVersion;
  const osFeatures = optionalStrings(p['os.features'], mediaType, `${where}.os.features`);
  if (osFeatures.length > 0) platform['os.features'] = osFeatures;
  const variant = optionalString(p.variant, mediaType, `${where}.variant`);
  if (variant) platform.variant = variant;
  return platform;
}

/** Re-create the descriptor so `platform` sits at its place in the OCI field order. */
function orderDescriptor(d: Descriptor): Descriptor {
  const { mediaType, digest, size, urls, annotations, data, platform, artifactType } = d;
  const out: Descriptor = { mediaType, digest, size };
  if (urls) out.urls = urls;
  if (annotations) out.annotations = annotations;
  if (data) out.data = data;
  if (platform) out.platform = platform;
  if (artifactType) out.artifactType = artifactType;
  return out;
}

function asObject(value: unknown, mediaType: string, where: string): JsonRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ManifestError(mediaType, `${where}: not an object`);
  }
  return value as JsonRecord;
}

// Go unmarshals a JSON null into a zero value, so null counts as absent throughout.
function optionalString(value: unknown, mediaType: string, where: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new ManifestError(mediaType, `${where}: not a string`);
  return value;
}

function optionalSize(value: unknown, mediaType: string, where: string): number {
  if (value === undefined || value === null) return 0;
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new ManifestError(mediaType, `${where}: not an integer`);
  }
  return value;
}

function optionalStrings(value: unknown, mediaType: string, where: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new ManifestError(mediaType, `${where}: not an array of strings`);
  }
  return [...(value as string[])];
}

function optionalStringMap(
  value: unknown,
  mediaType: string,
  where: string,
): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  const obj = asObject(value, mediaType, where);
  const entries = Object.entries(obj);
  if (!entries.every(([, v]) => typeof v === 'string')) {
    throw new ManifestError(mediaType, `${where}: values must be strings`);
  }
  return entries.length > 0 ? (Object.fromEntries(entries) as Record<string, string>) : undefined;
}

/** Go decodes `[]byte` from padded standard base64 and encodes it back the same way. */
function canonicalBase64(value: string, mediaType: string, where: string): string {
  if (value.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) {
    throw new ManifestError(mediaType, `${where}: not standard base64`);
  }
  return Buffer.from(value, 'base64').toString('base64');
}
