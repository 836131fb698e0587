// Builds the loadable extension folder: `node build.mjs` → build/ (load it unpacked in Chrome).
// The TypeScript is bundled with esbuild, resolving workspace packages to their sources
// (`pr-canary-source`), so the one canary-key parser and served-by reader from @pr-canary/contracts ship inside the bundle.
// Everything the extension runs is in that folder: no remote code.
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';
import * as esbuild from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const OUT_DIR = path.join(here, 'build');
const ICON_SIZES = [16, 32, 48, 128];
const STATIC_FILES = ['popup.html', 'popup.css'];
/** The product's colours, fonts and radius: the web UI's file, so the popup looks like the same product. */
const TOKENS_CSS = path.join(here, '../apps/web/src/tokens.css');

/** Host access is never granted at install: the popup asks for each chosen origin at runtime. */
function createManifest(version) {
  const icons = Object.fromEntries(ICON_SIZES.map((size) => [String(size), `icons/icon-${size}.png`]));
  return {
    manifest_version: 3,
    name: 'PR Canary',
    version,
    description:
      'Sends X-Canary: <PR number> only to the origins you choose, to browse a pull request canary.',
    minimum_chrome_version: '116',
    permissions: [
      'declarativeNetRequestWithHostAccess',
      'webRequest',
      'storage',
      'alarms',
      'activeTab',
      'scripting',
    ],
    // ws/wss: Chrome only adds the header to a WebSocket handshake with access to its ws(s):// URL.
    optional_host_permissions: ['http://*/*', 'https://*/*', 'ws://*/*', 'wss://*/*'],
    background: { service_worker: 'background.js' },
    action: { default_popup: 'popup.html', default_title: 'PR Canary: off', default_icon: icons },
    icons,
    content_security_policy: { extension_pages: "script-src 'self'; object-src 'self'" },
  };
}

/** Builds the extension into `outDir` (a folder Chrome loads unpacked). */
async function buildExtension(outDir) {
  const pkg = JSON.parse(await readFile(path.join(here, 'package.json'), 'utf8'));
  await rm(outDir, { recursive: true, force: true });
  await mkdir(path.join(outDir, 'icons'), { recursive: true });
  await esbuild.build({
    entryPoints: { background: path.join(here, 'src/background.ts'), popup: path.join(here, 'src/popup.ts') },
    outdir: outDir,
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'chrome116',
    conditions: ['pr-canary-source'],
    legalComments: 'none',
    logLevel: 'warning',
  });
  await Promise.all([
    ...STATIC_FILES.map((file) => copyFile(path.join(here, 'static', file), path.join(outDir, file))),
    copyFile(TOKENS_CSS, path.join(outDir, 'tokens.css')),
  ]);
  await Promise.all(
    ICON_SIZES.map((size) => writeFile(path.join(outDir, 'icons', `icon-${size}.png`), iconPng(size))),
  );
  const manifest = createManifest(pkg.version);
  await writeFile(path.join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return outDir;
}

// ---- icon: a canary-yellow disc with a dark ring, drawn as an RGBA PNG ----------------------------

function iconPng(size) {
  const rows = [];
  const centre = (size - 1) / 2;
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 4); // filter byte 0, then RGBA pixels
    for (let x = 0; x < size; x++) {
      const distance = Math.hypot(x - centre, y - centre) / (size / 2);
      const [r, g, b, a] =
        distance > 1 ? [0, 0, 0, 0] : distance > 0.8 ? [120, 53, 15, 255] : [250, 204, 21, 255];
      row.set([r, g, b, a], 1 + x * 4);
    }
    rows.push(row);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 6, 0, 0, 0], 8); // 8 bits per channel, RGBA, deflate, no filter, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(Buffer.concat(rows))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

function pngChunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

function crc32(bytes) {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return (crc ^ 0xffffffff) >>> 0;
}

const outDir = await buildExtension(OUT_DIR);
console.log(`extension built into ${path.relative(process.cwd(), outDir) || '.'}`);
