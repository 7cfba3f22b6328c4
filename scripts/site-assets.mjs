// The last step of scripts/build.sh: names the site's JS, WASM and CSS by
// their content hash as cargo-leptos's `hash-files` does
// (<name>.<md5 in unpadded base64url>.<ext>), writes the hash file leptos
// reads to find those names (`js: ...`, `wasm: ...`, `css: ...`), and writes
// a Brotli (.br) and a gzip (.gz) copy beside every file of the pkg
// directory, for the server to send to browsers that accept them.
//
//   node scripts/site-assets.mjs PKG_DIR OUTPUT_NAME HASH_FILE BROTLI_QUALITY
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";

const [pkgDir, outputName, hashFile, qualityArg] = process.argv.slice(2);
if (!pkgDir || !outputName || !hashFile) {
  console.error("usage: site-assets.mjs PKG_DIR OUTPUT_NAME HASH_FILE [BROTLI_QUALITY]");
  process.exit(2);
}
const quality = Number(qualityArg ?? 11);

function contentHash(file) {
  return createHash("md5").update(fs.readFileSync(file)).digest("base64url");
}

// 1. Content-hashed names for the three files the pages reference.
const lines = [];
for (const ext of ["js", "wasm", "css"]) {
  const plain = path.join(pkgDir, `${outputName}.${ext}`);
  if (!fs.existsSync(plain)) continue;
  const hash = contentHash(plain);
  fs.renameSync(plain, path.join(pkgDir, `${outputName}.${hash}.${ext}`));
  lines.push(`${ext}: ${hash}`);
}
fs.writeFileSync(hashFile, lines.join("\n") + "\n");

// 2. Precompressed copies of every file, kept only when smaller.
function files(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return files(p);
    return e.isFile() && !/\.(br|gz)$/.test(e.name) ? [p] : [];
  });
}
let raw = 0;
let br = 0;
let gz = 0;
for (const file of files(pkgDir)) {
  const data = fs.readFileSync(file);
  const text = !file.endsWith(".wasm");
  const brotli = zlib.brotliCompressSync(data, {
    params: {
      [zlib.constants.BROTLI_PARAM_MODE]: text
        ? zlib.constants.BROTLI_MODE_TEXT
        : zlib.constants.BROTLI_MODE_GENERIC,
      [zlib.constants.BROTLI_PARAM_QUALITY]: quality,
      [zlib.constants.BROTLI_PARAM_SIZE_HINT]: data.length,
    },
  });
  const gzip = zlib.gzipSync(data, { level: 9 });
  raw += data.length;
  if (brotli.length < data.length) {
    fs.writeFileSync(`${file}.br`, brotli);
    br += brotli.length;
  }
  if (gzip.length < data.length) {
    fs.writeFileSync(`${file}.gz`, gzip);
    gz += gzip.length;
  }
}
const kb = (n) => `${Math.round(n / 1024)} KB`;
console.log(`${lines.join(", ")}; ${kb(raw)} raw, ${kb(br)} brotli, ${kb(gz)} gzip`);
