// Module hooks for a worker started from TypeScript source (encode-parallel.ts under ts-jest, where
// there is no compiled encode-worker.js): `./x.js` resolves to `./x.ts` when only that exists, and
// .ts files are transpiled with typescript (a dev dependency). The built package never loads this file.
import { readFile } from 'node:fs/promises';
import ts from 'typescript';

export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (e) {
    if (e?.code !== 'ERR_MODULE_NOT_FOUND' || !/^(\.{1,2}\/|file:).*\.js$/.test(specifier)) throw e;
    return next(specifier.replace(/\.js$/, '.ts'), context);
  }
}

export async function load(url, context, next) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return next(url, context);
  const source = await readFile(new URL(url), 'utf8');
  const { outputText } = ts.transpileModule(source, {
    fileName: url,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, isolatedModules: true },
  });
  return { format: 'module', source: outputText, shortCircuit: true };
}
