// Writes src/route-report.schema.json from the route report's zod schema, through the built module
// (`npm run write-schema`). test/route-report.test.ts fails while the file and the schema differ.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const { deriveRouteReportJsonSchema } = createRequire(import.meta.url)('./dist/route-report.js');
const file = new URL('./src/route-report.schema.json', import.meta.url);
writeFileSync(file, `${JSON.stringify(deriveRouteReportJsonSchema(), null, 2)}\n`);
console.log(`wrote ${file.pathname}`);
