import { zodToJsonSchema } from 'zod-to-json-schema';
import { stackSpecSchema } from './stackSpec';

/** The stack spec as JSON Schema (draft 7), for editors, docs and form generation. */
export const stackSpecJsonSchema = {
  ...zodToJsonSchema(stackSpecSchema, { $refStrategy: 'none' }),
  title: 'Konductor stack spec',
};
