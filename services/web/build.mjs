// Builds the web app into dist/: one minified script and stylesheet with content hashes in their
// names (cached for good by the gateway), their gzip twins, and index.html pointing at them.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'dist');
const started = Date.now();
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'assets'), { recursive: true });

const result = await build({
  entryPoints: [join(here, 'src/main.jsx')],
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2020'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  entryNames: 'app-[hash]',
  outdir: join(out, 'assets'),
  metafile: true,
  logLevel: 'warning',
});

const names = {};
for (const file of Object.keys(result.metafile.outputs)) {
  const name = basename(file);
  const bytes = readFileSync(file);
  writeFileSync(`${file}.gz`, gzipSync(bytes, { level: 9 }));
  if (name.endsWith('.js')) names.js = name;
  if (name.endsWith('.css')) names.css = name;
  console.log(`${name}: ${bytes.length} bytes, ${gzipSync(bytes, { level: 9 }).length} gzipped`);
}
const page = readFileSync(join(here, 'index.html'), 'utf8')
  .replace('APP_JS', names.js)
  .replace('APP_CSS', names.css);
writeFileSync(join(out, 'index.html'), page);
console.log(`web app built into ${out} in ${Date.now() - started} ms`);
