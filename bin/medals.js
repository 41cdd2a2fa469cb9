#!/usr/bin/env node
// Entry point of the `medals` command; the CLI itself is compiled TypeScript in dist/.
let cli;
try {
  cli = await import('../dist/functions/cli/main.js');
} catch (e) {
  if (e && e.code === 'ERR_MODULE_NOT_FOUND' && String(e.message).includes('cli/main.js')) {
    process.stderr.write('INTERNAL: medals is not built; run `npm run build` in the checkout\n');
    process.exit(1);
  }
  throw e;
}
process.exitCode = await cli.main(process.argv.slice(2));
