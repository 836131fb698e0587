// Preloaded (`--import`) by runCompiled: stack traces of the project's own compiled code map to its
// TypeScript, node_modules' do not — `--enable-source-maps` parsed every package's source map too
// (~5 MB of the stack runner's RSS for frames nobody reads), as service-kit's register avoids for services.
import { setSourceMapsSupport } from 'node:module';

setSourceMapsSupport(true, { nodeModules: false });
