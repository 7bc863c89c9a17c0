/**
 * The names a new plugin gets from the one the author chooses: NAME `my-quant` becomes the id
 * `my-quant`, the package `mc-plugin-my-quant` and the class prefix `MyQuant` (MyQuantCompressor).
 */
import { ErrorCodes, UserError } from '@mc-kit/core';

export const PLUGIN_PACKAGE_PREFIX = 'mc-plugin-';

/** Lower-case words of letters and digits joined by single '-', starting with a letter. */
const NAME = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
/** npm's limit on a package name, less the prefix. */
const MAX_LENGTH = 214 - PLUGIN_PACKAGE_PREFIX.length;

export interface PluginNames {
  /** what users type after --method / --metric / --dataset-type */
  readonly id: string;
  /** npm package name */
  readonly packageName: string;
  /** `MyQuant` */
  readonly pascal: string;
  /** `myQuant` */
  readonly camel: string;
  /** `MY_QUANT` */
  readonly constant: string;
}

export function pascalCase(id: string): string {
  return id
    .split('-')
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join('');
}

/** Validate NAME (a user error naming the rule when it breaks one) and derive the other names. */
export function pluginNames(name: string): PluginNames {
  const problem = (why: string, hint: string): never => {
    throw new UserError(ErrorCodes.BAD_PARAM, `"${name}" cannot name a plugin: ${why}`, { hint });
  };
  if (name.startsWith(PLUGIN_PACKAGE_PREFIX))
    problem(
      `give the id only, the package is ${PLUGIN_PACKAGE_PREFIX}NAME`,
      `e.g. mc generate compressor ${name.slice(PLUGIN_PACKAGE_PREFIX.length) || 'my-quant'}`,
    );
  if (name.length > MAX_LENGTH)
    problem(`it is longer than ${MAX_LENGTH} characters (npm's limit on package names)`, 'choose a shorter name');
  if (!NAME.test(name)) {
    const suggestion = name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^[^a-z]+|-+$/g, '');
    problem(
      "an id is lower-case letters and digits in words joined by single '-', starting with a letter",
      suggestion ? `e.g. ${suggestion}` : 'e.g. my-quant',
    );
  }
  const pascal = pascalCase(name);
  return {
    id: name,
    packageName: `${PLUGIN_PACKAGE_PREFIX}${name}`,
    pascal,
    camel: pascal[0].toLowerCase() + pascal.slice(1),
    constant: name.toUpperCase().replace(/-/g, '_'),
  };
}
