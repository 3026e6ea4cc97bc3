#!/usr/bin/env node
// Thin launcher: the CLI is built with the rest of the app (npm install runs the build).
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const cli = join(__dirname, '..', 'out', 'main', 'cli.js');
if (!existsSync(cli)) {
  process.stderr.write('featurescope: the app is not built yet. Run "npm run build" (npm install does it too).\n');
  process.exit(1);
}
require(cli);
