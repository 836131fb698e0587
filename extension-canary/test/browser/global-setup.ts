import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

/** Builds build/ once, exactly as `npm run build` does; every browser test loads a copy of it. */
export default function buildExtensionOnce(): void {
  execFileSync(process.execPath, ['build.mjs'], { cwd: path.resolve(__dirname, '../..'), stdio: 'inherit' });
}
