/** `node dist/functions/steps/segment/task.js`: the GPU container's command. */
import { main } from './container.js';

process.exitCode = await main();
