/** `node dist/functions/segment/container-entry.js`: the GPU container's command. */
import { main } from './container.js';

process.exitCode = await main();
