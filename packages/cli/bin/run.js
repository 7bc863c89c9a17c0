#!/usr/bin/env node
import { execute, settings } from '@oclif/core';
import { capturePluginLoadWarnings } from '../dist/plugin-warnings.js';

// Plugins are compiled JavaScript: no ts-node lookup, so no "linked ESM module cannot be
// auto-transpiled" warning on every command for a linked plugin.
settings.enableAutoTranspile = false;
// A plugin oclif cannot load is named in one warning line (dist/hooks/init.js), not six.
capturePluginLoadWarnings();

await execute({ dir: import.meta.url });
