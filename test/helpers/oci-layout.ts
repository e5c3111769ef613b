/**
 * Writes a valid OCI image layout by hand (node's zlib and crypto only), so tests can push real
 * images to a real registry with skopeo without pulling anything from the internet.
 *
 * Everything is derived from `seed`: the same seed gives the same digests, another seed gives
 * other digests (each test can push images the registry has never seen, so no blob is skipped).
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

export const OciManifestMediaType = 'application/vnd.oci.image.manifest.v1+json';
export const OciIndexMediaType = 'application/vnd.oci.image.index.v1+json';
export const OciConfigMediaType = 'application/vnd.oci.image.config.v1+json';
export const OciLayerGzipMediaType = 'application/vnd.oci.image.layer.v1.tar+gzip';

export interface OciPlatform {
  architecture: string;
  os: string;
  variant?: string;
}

export interface BuildOciLayoutOptions {
  /** Layers per image (default 1). */
  layers?: number;
  /** Source of all content, hence of all digests (default 'regnotify'). */
  seed?: string;
  /** Platform of the single image (default linux/amd64); ignored when `index` is set. */
  platform?: OciPlatform;
  /** Write an OCI image index with two platform manifests (linux/amd64, linux/arm64). */
  index?: boolean;
}

export interface OciPlatformManifest {
  platform: OciPlatform;
  manifestDigest: string;
  configDigest: string;
  layerDigests: string[];
}

export interface OciLayout {
  dir: string;
  /** The (first) image manifest. */
  manifestDigest: string;
  configDigest: string;
  /** Every layer blob written, in manifest order (both platforms' when `index` is set). */
  layerDigests: string[];
  /** Set when `index` was requested: the digest of the image index. */
  indexDigest?: string;
  /** One entry per image manifest (one, or two with `index`). */
  manifests: OciPlatformManifest[];
}

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: OciPlatform;
}

export async function buildOciLayout(
  dir: string,
  options: BuildOciLayoutOptions = {},
): Promise<OciLayout> {
  const seed = options.seed ?? 'regnotify';
  const layers = options.layers ?? 1;
  if (!Number.isInteger(layers) || layers < 1)
    throw new Error(`buildOciLayout: layers must be ≥ 1, got ${layers}`);
  await mkdir(path.join(dir, 'blobs', 'sha256'), { recursive: true });
  await writeFile(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));

  const platforms: OciPlatform[] = options.index
    ? [
        { architecture: 'amd64', os: 'linux' },
        { architecture: 'arm64', os: 'linux', variant: 'v8' },
      ]
    : [options.platform ?? { architecture: 'amd64', os: 'linux' }];
  const manifests: OciPlatformManifest[] = [];
  const descriptors: Descriptor[] = [];
  for (const platform of platforms) {
    const image = await writeImage(
      dir,
      `${seed}/${platform.os}/${platform.architecture}`,
      layers,
      platform,
    );
    manifests.push(image.summary);
    descriptors.push({ ...image.descriptor, platform });
  }

  let top: Descriptor;
  let indexDigest: string | undefined;
  if (options.index) {
    const index = { schemaVersion: 2, mediaType: OciIndexMediaType, manifests: descriptors };
    top = {
      mediaType: OciIndexMediaType,
      ...(await writeBlob(dir, Buffer.from(JSON.stringify(index)))),
    };
    indexDigest = top.digest;
  } else {
    const [only] = descriptors;
    if (only === undefined) throw new Error('buildOciLayout: no manifest written');
    top = { mediaType: only.mediaType, digest: only.digest, size: only.size };
  }
  // Exactly one entry, so `oci:<dir>` without a reference name picks it.
  await writeFile(
    path.join(dir, 'index.json'),
    JSON.stringify({ schemaVersion: 2, manifests: [top] }),
  );

  const [first] = manifests;
  if (first === undefined) throw new Error('buildOciLayout: no manifest written');
  return {
    dir,
    manifestDigest: first.manifestDigest,
    configDigest: first.configDigest,
    layerDigests: manifests.flatMap((m) => m.layerDigests),
    ...(indexDigest === undefined ? {} : { indexDigest }),
    manifests,
  };
}

async function writeImage(
  dir: string,
  seed: string,
  layerCount: number,
  platform: OciPlatform,
): Promise<{ summary: OciPlatformManifest; descriptor: Descriptor }> {
  const layers: Descriptor[] = [];
  const diffIds: string[] = [];
  for (let i = 0; i < layerCount; i++) {
    const tar = ustar([
      { name: `regnotify/layer-${i}.txt`, content: Buffer.from(`seed ${seed}\nlayer ${i}\n`) },
      { name: `regnotify/id-${i}`, content: Buffer.from(sha256Hex(Buffer.from(`${seed}#${i}`))) },
    ]);
    diffIds.push(`sha256:${sha256Hex(tar)}`);
    layers.push({ mediaType: OciLayerGzipMediaType, ...(await writeBlob(dir, gzipSync(tar))) });
  }
  const config = {
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant === undefined ? {} : { variant: platform.variant }),
    rootfs: { type: 'layers', diff_ids: diffIds },
    config: {},
  };
  const configDesc = {
    mediaType: OciConfigMediaType,
    ...(await writeBlob(dir, Buffer.from(JSON.stringify(config)))),
  };
  const manifest = {
    schemaVersion: 2,
    mediaType: OciManifestMediaType,
    config: configDesc,
    layers,
  };
  const descriptor = {
    mediaType: OciManifestMediaType,
    ...(await writeBlob(dir, Buffer.from(JSON.stringify(manifest)))),
  };
  return {
    summary: {
      platform,
      manifestDigest: descriptor.digest,
      configDigest: configDesc.digest,
      layerDigests: layers.map((l) => l.digest),
    },
    descriptor,
  };
}

async function writeBlob(dir: string, content: Buffer): Promise<{ digest: string; size: number }> {
  const hex = sha256Hex(content);
  await writeFile(path.join(dir, 'blobs', 'sha256', hex), content);
  return { digest: `sha256:${hex}`, size: content.length };
}

function sha256Hex(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

interface TarFile {
  name: string;
  content: Buffer;
}

/**
 * A minimal POSIX ustar archive: one 512-byte header per regular file, the content padded to
 * 512 bytes, two zero blocks at the end. mtime 0 and fixed owners keep it deterministic.
 */
export function ustar(files: TarFile[]): Buffer {
  const blocks: Buffer[] = [];
  for (const file of files) {
    blocks.push(ustarHeader(file.name, file.content.length));
    const padded = Buffer.alloc(Math.ceil(file.content.length / 512) * 512);
    file.content.copy(padded);
    blocks.push(padded);
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

function ustarHeader(name: string, size: number): Buffer {
  if (Buffer.byteLength(name) > 100) throw new Error(`ustar: name longer than 100 bytes: ${name}`);
  const header = Buffer.alloc(512);
  const put = (offset: number, length: number, value: string): void => {
    header.write(value, offset, length, 'ascii');
  };
  const octal = (value: number, width: number): string =>
    value.toString(8).padStart(width - 1, '0') + '\0';
  put(0, 100, name);
  put(100, 8, octal(0o644, 8));
  put(108, 8, octal(0, 8));
  put(116, 8, octal(0, 8));
  put(124, 12, octal(size, 12));
  put(136, 12, octal(0, 12));
  put(148, 8, ' '.repeat(8)); // the checksum is computed with its own field as spaces
  put(156, 1, '0');
  put(257, 6, 'ustar\0');
  put(263, 2, '00');
  put(265, 32, 'root');
  put(297, 32, 'root');
  let sum = 0;
  for (const byte of header) sum += byte;
  put(148, 8, sum.toString(8).padStart(6, '0') + '\0 ');
  return header;
}
