/** `npm run build`'s step that validates the shipped workflows (valid-definitions.ts). */
import { validateDefinition } from './local-engine.js';
import { recordValidDefinitions } from './valid-definitions.js';

const files = await recordValidDefinitions((definition, source) =>
  validateDefinition(definition, source, { always: true }),
);
console.log(`validated ${files.length} state machine definitions: ${files.join(', ')}`);
