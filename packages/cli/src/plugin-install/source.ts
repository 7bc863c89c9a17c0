/**
 * What `mc plugins install X` was given. A path is a path: `./dir`, `../x.tgz`, `/abs/dir`, `~/x`,
 * `file:...`, or any name ending in .tgz/.tar.gz/.tar is read from disk (oclif read `./x.tgz` as a
 * GitHub shorthand and failed after a minute). Everything else is what npm makes of it
 * (npm-package-arg): a registry name with an optional version or range, or a git/tarball URL. The
 * bare `owner/repo` form, which npm would fetch from GitHub, must be spelled out (`github:owner/repo`).
 */
import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { ErrorCodes, UserError } from '@mc-kit/core';
import npa from 'npm-package-arg';

export type PluginSource =
  | { readonly kind: 'registry'; readonly input: string; readonly name: string; readonly range: string }
  | { readonly kind: 'folder'; readonly input: string; readonly path: string }
  | { readonly kind: 'tarball'; readonly input: string; readonly path: string }
  | { readonly kind: 'url'; readonly input: string; readonly url: string };

const TARBALL = /\.(tgz|tar\.gz|tar)$/i;
const PATHLIKE = /^(\.{1,2}([\\/]|$)|[\\/]|~([\\/]|$)|[a-zA-Z]:[\\/])/;
const FORMS =
  'a package name (mc-plugin-x, mc-plugin-x@1.2.0), a folder (./mc-plugin-x) or a tarball (./mc-plugin-x-1.0.0.tgz)';

export function parsePluginSource(input: string, cwd: string): PluginSource {
  const text = input.trim();
  if (!text) throw new UserError(ErrorCodes.BAD_PARAM, 'no plugin given', { hint: `name ${FORMS}` });
  const url = /^[a-z][a-z0-9+.-]*:/i.test(text) && !text.startsWith('file:') && !/^[a-zA-Z]:[\\/]/.test(text);
  if (!url && (text.startsWith('file:') || PATHLIKE.test(text) || TARBALL.test(text))) return localSource(text, cwd);

  let parsed: npa.Result;
  try {
    parsed = npa(text);
  } catch (e) {
    throw new UserError(ErrorCodes.BAD_PARAM, `"${text}" is not ${FORMS}: ${(e as Error).message.split('\n')[0]}`, {
      hint: 'mc plugins search lists the plugins on your registry',
    });
  }
  switch (parsed.type) {
    case 'range':
    case 'version':
    case 'tag':
      return {
        kind: 'registry',
        input: text,
        name: parsed.name!,
        range: parsed.rawSpec && parsed.rawSpec !== '*' ? parsed.rawSpec : 'latest',
      };
    case 'git':
    case 'remote':
      if (parsed.type === 'git' && !/^[a-z+]+:/i.test(text)) {
        throw new UserError(ErrorCodes.BAD_PARAM, `"${text}" is neither a package name nor a path`, {
          hint: `for the GitHub repository write github:${text}; for a folder write ./${text}`,
        });
      }
      return { kind: 'url', input: text, url: text };
    default:
      throw new UserError(ErrorCodes.BAD_PARAM, `"${text}" (an npm ${parsed.type} spec) is not ${FORMS}`, {
        hint: 'mc plugins search lists the plugins on your registry',
      });
  }
}

function localSource(text: string, cwd: string): PluginSource {
  let path = text.startsWith('file:') ? text.slice(5).replace(/^\/\/(?=\/)/, '') : text;
  if (path === '~' || /^~[\\/]/.test(path)) path = homedir() + path.slice(1);
  path = isAbsolute(path) ? resolve(path) : resolve(cwd, path);
  if (!existsSync(path)) {
    throw new UserError(
      ErrorCodes.FILE_NOT_FOUND,
      `${text}: no such ${TARBALL.test(path) ? 'file' : 'file or folder'}`,
      {
        hint: 'a plugin on your registry is named without ./ (mc plugins install mc-plugin-x)',
      },
    );
  }
  if (statSync(path).isDirectory()) {
    if (!existsSync(resolve(path, 'package.json'))) {
      throw new UserError(ErrorCodes.BAD_PARAM, `${text} has no package.json: not an npm package folder`, {
        hint: "give the folder that holds the plugin's package.json",
      });
    }
    return { kind: 'folder', input: text, path };
  }
  if (!TARBALL.test(path)) {
    throw new UserError(ErrorCodes.BAD_PARAM, `${text} is neither a folder nor a tarball (.tgz, .tar.gz, .tar)`, {
      hint: 'npm pack makes a tarball of a plugin folder',
    });
  }
  return { kind: 'tarball', input: text, path };
}
