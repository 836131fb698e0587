import { describe, expect, it } from 'vitest';
import { DockerfileError, loadImageFacts, parseDockerfile } from '../src/image-facts';

describe('image facts from the Dockerfiles', () => {
  it('reads the runtime stage of the real Dockerfiles: user, ports, nginx listens, writable paths', () => {
    const images = loadImageFacts();
    for (const service of ['api-service', 'store-service'] as const) {
      expect(images[service]).toMatchObject({
        user: { uid: 10001, gid: 10001 },
        exposedPorts: [8080, 9090],
        listens: [],
        writablePaths: [],
      });
    }
    expect(images.web).toMatchObject({
      baseImage: expect.stringMatching(/^nginxinc\/nginx-unprivileged:/),
      user: { uid: 101, gid: 101 },
      exposedPorts: [8080],
      listens: [{ port: 8080 }, { address: '127.0.0.1', port: 8081 }],
      stubStatus: { address: '127.0.0.1', port: 8081 },
      htmlRoot: '/usr/share/nginx/html',
      writablePaths: ['/tmp'],
    });
  });

  it('ignores build stages: only what follows the last FROM counts', () => {
    const facts = parseDockerfile(
      [
        'FROM node:24 AS build',
        'USER 0',
        'EXPOSE 3000',
        'FROM gcr.io/distroless/nodejs24',
        'USER 65532',
      ].join('\n'),
      'Dockerfile',
    );
    expect(facts).toMatchObject({
      baseImage: 'gcr.io/distroless/nodejs24',
      user: { uid: 65532 },
      exposedPorts: [],
    });
  });

  it('reports a runtime stage without a numeric USER as no user', () => {
    expect(parseDockerfile('FROM node:24\nUSER node\n', 'Dockerfile').user).toBeUndefined();
  });

  it('refuses what it cannot read rather than guessing', () => {
    expect(() => parseDockerfile('# no stages\n', 'Dockerfile')).toThrow(DockerfileError);
    expect(() =>
      parseDockerfile(
        'FROM nginx:1\nRUN x <<NGINX\nserver {\n    listen [::]:8080;\n}\nNGINX\n',
        'Dockerfile',
      ),
    ).toThrow(/unsupported nginx listen value/);
    expect(() => parseDockerfile('FROM nginx:1\nRUNN true\n', 'Dockerfile')).toThrow(
      /unknown instruction RUNN/,
    );
    expect(() => parseDockerfile('FROM nginx:1\nCOPY <<EOF /x\nserver {\n', 'Dockerfile')).toThrow(
      /heredoc EOF is never closed/,
    );
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a Dockerfile ARG reference, not a template
    expect(() => parseDockerfile('FROM ${BASE}\n', 'Dockerfile')).toThrow(/\$\{BASE\} has no value/);
  });
});
