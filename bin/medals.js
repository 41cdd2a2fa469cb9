#!/usr/bin/env node
// Entry point of the `medals` command; the CLI itself is compiled TypeScript in dist/.
// The AWS SDK warns on Node < 22 that its releases after January 2027 will need Node 22: a
// notice for whoever upgrades the lockfile, not for someone running a command, whose
// `CODE: message` error contract it would break. The environment can still turn it back on.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
let cli;
try {
  cli = await import('../dist/functions/tools/cli/main.js');
} catch (e) {
  if (e && e.code === 'ERR_MODULE_NOT_FOUND' && String(e.message).includes('cli/main.js')) {
    process.stderr.write('INTERNAL: medals is not built; run `npm run build` in the checkout\n');
    process.exit(1);
  }
  throw e;
}
process.exitCode = await cli.main(process.argv.slice(2));
