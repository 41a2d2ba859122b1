// Turns the server's OpenAPI schema (scripts/openapi_schema.py) into src/lib/api-schema.ts.
// Run through `make openapi-types` (writes the file) or `make openapi-check` (compares);
// usage: node scripts/openapi-types.mjs SCHEMA.json OUTPUT.ts
import { readFile, writeFile } from "node:fs/promises";

import openapiTS, { astToString } from "openapi-typescript";

const HEADER = `/**
 * GENERATED from the server's OpenAPI schema: do not edit by hand.
 * Regenerate with \`make openapi-types\` (scripts/openapi_schema.py, then
 * frontend/scripts/openapi-types.mjs); \`make test\` fails while this file is out of date.
 * Use the aliases in ./types.ts rather than these types directly.
 */
`;

const [schemaPath, outputPath] = process.argv.slice(2);
if (!schemaPath || !outputPath) {
  console.error("usage: node scripts/openapi-types.mjs SCHEMA.json OUTPUT.ts");
  process.exit(2);
}

/**
 * A union that contains itself (IngestJsonValue: any JSON value) becomes a type TypeScript
 * rejects ("referenced directly or indirectly in its own type annotation"), because the
 * generator writes every reference as `components["schemas"][name]`. Inside such a
 * schema its references to itself become `{}` (unknown): the outer level stays typed.
 */
function breakSelfReferences(schemas) {
  for (const [name, body] of Object.entries(schemas ?? {})) {
    const self = `#/components/schemas/${name}`;
    const replace = (node) => {
      if (Array.isArray(node)) return node.map(replace);
      if (node === null || typeof node !== "object") return node;
      if (node.$ref === self) return {};
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, replace(v)]));
    };
    if (body.anyOf || body.oneOf) schemas[name] = replace(body);
  }
}

const schema = JSON.parse(await readFile(schemaPath, "utf8"));
breakSelfReferences(schema.components?.schemas);
const ast = await openapiTS(schema, {
  // A field with a default is not in `required`, and the server really leaves such fields
  // out of some shapes (msgspec's omit_defaults: WorkerCard, ActivityEvent, SeriesPoint).
  // Keep them optional; types.ts marks the shapes that are always sent in full.
  defaultNonNullable: false,
  // `{"type": "object"}` (params, extra: any JSON object) is not an object with no keys.
  emptyObjectsUnknown: true,
  silent: true,
});
await writeFile(outputPath, HEADER + astToString(ast));
