import { spawnSync } from 'node:child_process';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { STACK } from '../../scripts/lib/stack.js';
import { commandExists, readText, readYaml, repoPath, ROOT, runCommand, workspaceDirs } from './lib/repo.js';

/**
 * docker-compose.yml, deploy/Dockerfile and the Filebeat configuration. There is no Docker engine
 * here, so nothing is started: Compose itself validates the file, and the rest checks that the
 * pieces agree with each other and with the code (ports, roles, health endpoints, scrape targets).
 */
interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string; target: string; args?: Record<string, string> };
  command?: string[] | string;
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  /** The start order as Compose merges it (names from docker-compose.yml, conditions from the override). */
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] | string };
  restart?: string;
  deploy?: SwarmDeploy;
}

interface SwarmDeploy {
  mode?: string;
  replicas?: number;
  resources?: { limits?: { cpus?: string; memory?: string }; reservations?: { cpus?: string; memory?: string } };
  restart_policy?: { condition?: string; max_attempts?: number };
  update_config?: { order?: string; failure_action?: string };
}

type StackFile = { services: Record<string, Omit<ComposeService, 'depends_on'> & { depends_on?: string[] }> } & Record<
  string,
  unknown
>;
/** The stack file, as `docker stack deploy` reads it: `depends_on` as lists of names. */
const stack = readYaml<StackFile>('docker-compose.yml');
/** What Compose adds from docker-compose.override.yml: the condition each container waits for. */
const startOrder = readYaml<{ services: Record<string, Pick<ComposeService, 'depends_on'>> }>(
  'docker-compose.override.yml',
);
const compose: { services: Record<string, ComposeService>; volumes: Record<string, unknown> } = {
  volumes: stack['volumes'] as Record<string, unknown>,
  services: Object.fromEntries(
    Object.entries(stack.services).map(([name, service]) => [
      name,
      { ...service, depends_on: startOrder.services[name]?.depends_on },
    ]),
  ),
};
const services = Object.entries(compose.services);
const isJob = ([, s]: [string, ComposeService]): boolean => s.restart === 'no';
const longRunning = services.filter((entry) => !isJob(entry));
const jobs = services.filter(isJob);
const nodeServices = services.filter(([, s]) => s.build?.target === 'service');
const hasCompose = commandExists('docker-compose');

describe.skipIf(!hasCompose)(
  `docker-compose config${hasCompose ? '' : ' (skipped: docker-compose is not installed; npm test installs Debian package "docker-compose")'}`,
  () => {
    it('when Compose validates docker-compose.yml, then it accepts the file', () => {
      const { status, output } = runCommand('docker-compose', ['-f', 'docker-compose.yml', 'config', '-q']);
      expect(status, output).toBe(0);
    });
  },
);

describe('services and their health', () => {
  it('when the stack is listed, then it runs the platform, its edge, metrics and logs', () => {
    expect(Object.keys(compose.services)).toEqual(
      expect.arrayContaining([
        'postgres',
        'redis',
        'rabbitmq',
        'keys',
        'db-bootstrap',
        'user-service',
        'restaurant-service',
        'order-service',
        'delivery-service',
        'kong',
        'nginx',
        'prometheus',
        'grafana',
        'elasticsearch',
        'kibana',
        'filebeat',
        'backup',
      ]),
    );
  });

  it.each(longRunning.map(([name, s]) => [name, s] as const))(
    'when %s runs, then it has a healthcheck and restarts on failure',
    (_name, service) => {
      expect(service.healthcheck?.test.length ?? 0).toBeGreaterThan(0);
      expect(service.restart).toBe('unless-stopped');
    },
  );

  it('when anything waits for another container, then it waits for health, or for a job to finish', () => {
    const problems = services.flatMap(([name, s]) =>
      Object.entries(s.depends_on ?? {}).flatMap(([dependency, { condition }]) => {
        const target = compose.services[dependency];
        if (!target) return [`${name} depends on unknown ${dependency}`];
        const expected = target.restart === 'no' ? 'service_completed_successfully' : 'service_healthy';
        return condition === expected ? [] : [`${name} → ${dependency}: ${condition}, expected ${expected}`];
      }),
    );
    expect(problems).toEqual([]);
  });

  it('when a job runs once, then something waits for it or it is the last step of a chain', () => {
    const awaited = new Set(services.flatMap(([, s]) => Object.keys(s.depends_on ?? {})));
    for (const [name, job] of jobs) {
      expect(awaited.has(name) || Object.keys(job.depends_on ?? {}).length > 0, name).toBe(true);
    }
  });

  it.each(services.map(([name, s]) => [name, s] as const))(
    'when %s is pulled or built, then its image is pinned',
    (_n, s) => {
      expect(s.image).toMatch(/^[\w./-]+:[\w.-]+$/);
      expect(s.image).not.toMatch(/:latest$/);
    },
  );

  it('when the stack starts, then its required versions are the ones the platform is built for', () => {
    expect(compose.services['postgres']?.image).toMatch(/^postgres:15\b/);
    expect(compose.services['redis']?.image).toMatch(/^redis:7\b/);
    expect(compose.services['rabbitmq']?.image).toMatch(/^rabbitmq:3\.\d+-management$/);
    expect(compose.services['kong']?.image).toMatch(/^kong:3\.9\b/);
  });
});

describe('Food Flow services', () => {
  it('when the Node services are listed, then each one of the local stack has its container', () => {
    const expected = STACK.filter((p) => p.dir.startsWith('services/')).map((p) => `${p.name}-service`);
    expect(nodeServices.map(([name]) => name).sort()).toEqual(expected.sort());
  });

  it.each(nodeServices.map(([name, s]) => [name, s] as const))(
    'when %s is built, then it is its own workspace on the port npm start gives it, ready-checked',
    (name, service) => {
      const stack = STACK.find((p) => `${p.name}-service` === name);
      expect(service.build).toMatchObject({ context: '.', dockerfile: 'deploy/Dockerfile', target: 'service' });
      expect(service.build?.args?.['WORKSPACE']).toBe(stack?.dir);
      expect(Number(service.build?.args?.['PORT'])).toBe(stack?.port);
      expect(Number(service.environment?.['PORT'])).toBe(stack?.port);
      expect(service.healthcheck?.test).toEqual(['CMD', 'node', '/app/deploy/healthcheck.mjs', '/health/ready']);
    },
  );

  it.each(nodeServices.map(([name, s]) => [name, s] as const))(
    'when %s connects to PostgreSQL, then it uses its own role from its config, never the owner or superuser',
    (name, service) => {
      const stack = STACK.find((p) => `${p.name}-service` === name)!;
      const role = /databaseRole:\s*'(\w+)'/.exec(readText(`${stack.dir}/src/config.ts`))?.[1];
      const url = new URL(service.environment?.['DATABASE_URL'] ?? '');
      expect(role).toBeDefined();
      expect(url.username).toBe(role);
      expect(url.host).toBe('postgres:5432');
      expect(url.pathname).toBe('/foodflow');
    },
  );

  it.each(nodeServices.map(([name, s]) => [name, s] as const))(
    'when %s gets its secrets, then they come from generated files, never from committed values',
    (name, service) => {
      const env = service.environment ?? {};
      for (const secret of ['JWT_PRIVATE_KEY', 'JWT_PUBLIC_KEY', 'DATA_ENCRYPTION_KEYS', 'INTERNAL_API_SECRET']) {
        expect(env[secret], secret).toBeUndefined();
      }
      expect(env['JWT_PUBLIC_KEY_FILE']).toBeDefined();
      expect(env['INTERNAL_API_SECRET_FILE']).toBeDefined();
      const mounts = (service.volumes ?? []).map((v) => v.split(':'));
      for (const variable of Object.keys(env).filter((k) => k.endsWith('_FILE'))) {
        const mount = mounts.find(([, target]) => env[variable]!.startsWith(`${target}/`));
        expect(mount, `${name} ${variable}`).toBeDefined();
        expect(compose.volumes).toHaveProperty(mount![0]!);
        expect(mount![2], `${name} mounts ${mount![0]} read-only`).toBe('ro');
      }
      // Only the service that signs tokens sees the signing keys.
      expect(mounts.some(([source]) => source === 'signing-keys')).toBe(name === 'user-service');
    },
  );

  it.each(nodeServices.map(([name, s]) => [name, s] as const))(
    'when %s starts in production mode, then every variable production requires is given',
    (name, service) => {
      // devDefault(...) marks what has a development default but must be set explicitly in production.
      const required = (file: string): string[] =>
        [...readText(file).matchAll(/\b([A-Z][A-Z0-9_]+):\s*devDefault\(/g)].map((m) => m[1]!);
      const stack = STACK.find((p) => `${p.name}-service` === name)!;
      const env = service.environment ?? {};
      const fromFiles = readText('deploy/docker-entrypoint.sh');
      expect(env['NODE_ENV']).toBe('production');
      const missing = [
        ...required('packages/platform/src/config/config.ts'),
        ...required(`${stack.dir}/src/config.ts`),
      ].filter((v) => env[v] === undefined && !(env[`${v}_FILE`] !== undefined && fromFiles.includes(v)));
      expect(missing).toEqual([]);
    },
  );

  it('when the services start, then the database is bootstrapped and seeded first by a one-shot job', () => {
    const bootstrap = compose.services['db-bootstrap']!;
    expect(bootstrap.build?.target).toBe('tools');
    expect(String(bootstrap.command)).toMatch(/scripts\/bootstrap-db\.ts.*scripts\/seed\.ts/);
    expect(new URL(bootstrap.environment?.['ADMIN_DATABASE_URL'] ?? '').host).toBe('postgres:5432');
    for (const [name, service] of nodeServices) {
      expect(service.depends_on?.['db-bootstrap']?.condition, name).toBe('service_completed_successfully');
    }
    expect(existsSync(repoPath('scripts/bootstrap-db.ts'))).toBe(true);
    expect(existsSync(repoPath('scripts/seed.ts'))).toBe(true);
  });
});

describe('metrics wiring', () => {
  interface ScrapeConfig {
    job_name: string;
    static_configs?: { targets: string[] }[];
    dns_sd_configs?: { names: string[]; type: string; port: number }[];
  }
  const prometheus = readYaml<{ scrape_configs: ScrapeConfig[] }>('monitoring/prometheus/prometheus.yml');
  const job = (name: string): ScrapeConfig | undefined => prometheus.scrape_configs.find((c) => c.job_name === name);
  const targets = (name: string): string[] => [
    ...(job(name)?.static_configs ?? []).flatMap((s) => s.targets),
    ...(job(name)?.dns_sd_configs ?? []).flatMap((d) => d.names.map((n) => `${n}:${d.port}`)),
  ];

  it('when Prometheus scrapes the services, then its targets are exactly the Compose services on their ports', () => {
    const expected = nodeServices.map(([name, s]) => `${name}:${s.environment?.['PORT']}`);
    expect(targets('foodflow-services').sort()).toEqual(expected.sort());
  });

  it('when Prometheus scrapes Kong and RabbitMQ, then they listen where it looks', () => {
    expect(targets('kong')).toEqual([
      `kong:${compose.services['kong']?.environment?.['KONG_STATUS_LISTEN']?.split(':').pop()}`,
    ]);
    expect(targets('rabbitmq').map((t) => t.split(':')[0])).toEqual(['rabbitmq']);
    expect(compose.services['rabbitmq']?.volumes).toContain(
      './monitoring/rabbitmq/enabled_plugins:/etc/rabbitmq/enabled_plugins:ro',
    );
  });

  it('when Prometheus starts, then it reads this folder, rule files included', () => {
    const service = compose.services['prometheus']!;
    expect(service.volumes).toContain('./monitoring/prometheus:/etc/prometheus:ro');
    expect(service.command).toContain('--config.file=/etc/prometheus/prometheus.yml');
  });

  it('when Grafana starts, then its provisioning is mounted where Grafana looks for it', () => {
    expect(compose.services['grafana']?.volumes).toContain(
      './monitoring/grafana/provisioning:/etc/grafana/provisioning:ro',
    );
  });
});

describe('edge', () => {
  it('when Kong starts, then it is DB-less on the rendered gateway/kong.yml with the Admin API and Kong Manager', () => {
    const kong = compose.services['kong']!;
    const env = kong.environment ?? {};
    expect(env['KONG_DATABASE']).toBe('off');
    expect(env['KONG_DECLARATIVE_CONFIG']).toBe('/kong/kong.yml');
    expect(env['KONG_ADMIN_LISTEN']).toMatch(/:8001$/);
    expect(env['KONG_ADMIN_GUI_LISTEN']).toMatch(/:8002$/);
    expect(env['KONG_ADMIN_GUI_URL']).toBe('http://localhost:8002');
    expect(kong.volumes).toContain('kong-config:/kong:ro');
    expect(kong.ports).toEqual(expect.arrayContaining(['8000:8000', '127.0.0.1:8001:8001', '127.0.0.1:8002:8002']));
    const render = compose.services['kong-config']!;
    expect(render.volumes).toEqual(
      expect.arrayContaining(['./gateway/kong.yml:/gateway/kong.yml:ro', 'kong-config:/kong']),
    );
  });

  it('when the kong-config job renders gateway/kong.yml, then the jwt credential holds the public key intact', () => {
    const dir = mkdtempSync(join(tmpdir(), 'foodflow-kong-render-'));
    try {
      // decK is not installable here. This stand-in does what decK documents for the file: every
      // ${{ env "DECK_…" }} replaced in the raw text before the YAML is parsed, values only with
      // --populate-env-vars (placeholders otherwise), and a missing variable is an error.
      const deck = join(dir, 'deck');
      writeFileSync(
        deck,
        `#!/usr/bin/env node
const fs = require('node:fs');
const args = process.argv.slice(2);
if (args[0] !== 'file' || args[1] !== 'render' || !args.includes('--populate-env-vars')) process.exit(2);
const input = args.find((a, i) => i > 1 && !a.startsWith('-') && args[i - 1] !== '-o');
const text = fs.readFileSync(input, 'utf8').replace(/\\$\\{\\{\\s*env\\s+"(DECK_\\w+)"\\s*\\}\\}/g, (_, name) => {
  if (process.env[name] === undefined) { console.error('missing ' + name); process.exit(3); }
  return process.env[name];
});
if (text.includes('\\$\\{\\{')) { console.error('unsupported template'); process.exit(4); }
fs.writeFileSync(args[args.indexOf('-o') + 1], text);
`,
      );
      chmodSync(deck, 0o755);
      const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
      writeFileSync(join(dir, 'jwt-public.pem'), pem);
      const out = join(dir, 'kong.yml');
      const result = spawnSync(
        'sh',
        ['deploy/render-kong-config.sh', join(dir, 'jwt-public.pem'), 'gateway/kong.yml', out],
        {
          cwd: ROOT,
          encoding: 'utf8',
          env: { ...process.env, PATH: `${dir}:${process.env['PATH']}` },
        },
      );
      expect(result.status, result.stderr).toBe(0);
      const rendered = parse(readFileSync(out, 'utf8')) as {
        consumers?: { jwt_secrets?: { algorithm?: string; rsa_public_key?: string }[] }[];
      };
      const secrets = (rendered.consumers ?? []).flatMap((c) => c.jwt_secrets ?? []);
      expect(secrets.length).toBeGreaterThan(0);
      for (const secret of secrets) {
        const key = createPublicKey(secret.rsa_public_key ?? '');
        expect(key.export({ type: 'spki', format: 'pem' }).toString()).toBe(pem);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('when the secrets job runs, then it makes the signing pair once, shares only its public half, and an internal secret', () => {
    const work = mkdtempSync(join(tmpdir(), 'foodflow-secrets-'));
    const [publicDir, internalDir] = [join(work, 'public-key'), join(work, 'internal-secret')];
    try {
      for (const dir of [publicDir, internalDir]) mkdirSync(dir);
      const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'] };
      const run = () =>
        spawnSync(
          process.execPath,
          // tsx from this repository: the job runs in a folder of its own, as in its container.
          [
            '--import',
            pathToFileURL(repoPath('node_modules/tsx/dist/loader.mjs')).href,
            repoPath('deploy/prepare-secrets.mjs'),
            publicDir,
            internalDir,
          ],
          {
            cwd: work,
            encoding: 'utf8',
            env,
          },
        );
      const first = run();
      expect(first.status, first.stderr).toBe(0);
      const shared = readFileSync(join(publicDir, 'jwt-public.pem'), 'utf8');
      const made = () => ({
        publicKey: readFileSync(join(work, '.keys', 'jwt-public.pem'), 'utf8'),
        privateKey: readFileSync(join(work, '.keys', 'jwt-private.pem'), 'utf8'),
        internalSecret: readFileSync(join(internalDir, 'internal-api-secret'), 'utf8'),
      });
      const before = made();
      expect(shared).toBe(before.publicKey);
      expect(createPublicKey(before.privateKey).export({ type: 'spki', format: 'pem' }).toString()).toBe(shared);
      expect(before.internalSecret.length).toBeGreaterThanOrEqual(32);

      const again = run();
      expect(again.status, again.stderr).toBe(0);
      expect(made()).toEqual(before);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('when Nginx starts, then it serves port 80 with the repository configuration in front of Kong', () => {
    const nginx = compose.services['nginx']!;
    expect(nginx.build).toMatchObject({ dockerfile: 'deploy/Dockerfile', target: 'edge' });
    expect(readText('deploy/Dockerfile')).toMatch(/^COPY --from=web \/app\/frontend\/dist \/usr\/share\/nginx\/html$/m);
    expect(readText('nginx/nginx.conf')).toMatch(/root \/usr\/share\/nginx\/html;/);
    expect(readText('nginx/nginx.conf')).toMatch(/server kong:8000;/);
    expect(nginx.ports).toEqual(['80:80']);
    expect(nginx.volumes).toContain('./nginx/nginx.conf:/etc/nginx/nginx.conf:ro');
    expect(nginx.depends_on?.['kong']?.condition).toBe('service_healthy');
  });

  it('when a file of the repository is mounted, then it exists', () => {
    const sources = services.flatMap(([, s]) => (s.volumes ?? []).map((v) => v.split(':')[0]!));
    const missing = sources.filter((source) => source.startsWith('./') && !existsSync(repoPath(source)));
    expect(missing).toEqual([]);
  });
});

describe('logs', () => {
  interface Filebeat {
    'filebeat.inputs': { type: string; paths: string[]; parsers?: Record<string, unknown>[] }[];
    processors: Record<string, Record<string, unknown>>[];
    'output.elasticsearch': { hosts: string[] };
  }
  const filebeat = readYaml<Filebeat>('monitoring/filebeat/filebeat.yml');

  it('when Filebeat reads container logs, then it decodes the ECS JSON lines into the event itself', () => {
    const input = filebeat['filebeat.inputs'][0]!;
    expect(input.paths).toEqual(['/var/lib/docker/containers/*/*.log']);
    expect(input.parsers?.some((p) => 'container' in p)).toBe(true);
    const decode = filebeat.processors.find((p) => 'decode_json_fields' in p)?.['decode_json_fields'];
    expect(decode).toMatchObject({ fields: ['message'], target: '', overwrite_keys: true, expand_keys: true });
  });

  it('when Filebeat runs in Compose, then it sees the container logs and ships them to the Elasticsearch service', () => {
    const service = compose.services['filebeat']!;
    expect(service.volumes).toEqual(
      expect.arrayContaining([
        './monitoring/filebeat/filebeat.yml:/usr/share/filebeat/filebeat.yml:ro',
        '/var/lib/docker/containers:/var/lib/docker/containers:ro',
      ]),
    );
    expect(filebeat['output.elasticsearch'].hosts.join()).toContain('http://elasticsearch:9200');
    expect(compose.services['elasticsearch']?.environment).toMatchObject({
      'discovery.type': 'single-node',
      'xpack.security.enabled': 'false',
    });
    expect(compose.services['kibana']?.environment?.['ELASTICSEARCH_HOSTS']).toContain('http://elasticsearch:9200');
  });
});

describe('deploy/Dockerfile', () => {
  const dockerfile = readText('deploy/Dockerfile');
  const stage = (name: string): string => {
    const start = dockerfile.search(new RegExp(`^FROM .* AS ${name}$`, 'm'));
    const next = dockerfile.slice(start + 1).search(/^FROM /m);
    return next < 0 ? dockerfile.slice(start) : dockerfile.slice(start, start + 1 + next);
  };

  it('when dependencies are installed, then every workspace manifest is copied before npm ci', () => {
    const deps = stage('deps');
    for (const dir of workspaceDirs()) expect(deps, dir).toContain(`COPY ${dir}/package.json ${dir}/`);
    expect(deps).toMatch(/npm ci/);
  });

  it('when the code is built, then it is compiled once for every workspace', () => {
    expect(stage('build')).toMatch(/RUN npx tsc -b$/m);
  });

  it('when a service image runs, then it runs as the unprivileged user with a liveness healthcheck', () => {
    const service = stage('service');
    expect(service).toMatch(/^USER node$/m);
    expect(service).toMatch(/HEALTHCHECK[\s\S]*"\/health\/live"/);
    expect(service).toMatch(/^CMD \[.*"dist\/main\.js"\]$/m);
    expect(service).toMatch(/^ENV NODE_ENV=production/m);
    expect(stage('tools')).toMatch(/^USER node$/m);
  });

  it('when the context is sent to the builder, then dependencies, builds and secrets stay out', () => {
    const ignored = readText('.dockerignore').split('\n');
    for (const entry of ['**/node_modules', '**/dist', '.keys', '.env', '.git']) expect(ignored).toContain(entry);
  });

  it('when images are built, then every file the Dockerfile copies from the repository exists', () => {
    const copied = [...dockerfile.matchAll(/^COPY (?!--from)(.+)$/gm)].flatMap((m) =>
      m[1]!.trim().split(/\s+/).slice(0, -1),
    );
    expect(copied.length).toBeGreaterThan(5);
    expect(copied.filter((path) => !existsSync(repoPath(path)))).toEqual([]);
  });
});

describe('Docker Swarm (docker stack deploy -c docker-compose.yml food-flow)', () => {
  // Swarm's defaults where a service says nothing: one replica, restarted on any exit, updated stop-first.
  const replicas = (s: ComposeService): number => s.deploy?.replicas ?? 1;

  it('when docker stack deploy reads the file, then it finds only what its schema takes: depends_on as lists', () => {
    // docker stack deploy validates against the Compose file format 3 schema, where depends_on is a list of
    // names and the top level holds services, networks, volumes, secrets, configs and x- extensions only.
    const allowed = ['version', 'services', 'networks', 'volumes', 'secrets', 'configs'];
    expect(Object.keys(stack).filter((key) => !allowed.includes(key) && !key.startsWith('x-'))).toEqual([]);
    for (const [name, service] of Object.entries(stack.services)) {
      const dependsOn: unknown = service.depends_on ?? [];
      expect(Array.isArray(dependsOn) && dependsOn.every((d) => typeof d === 'string'), name).toBe(true);
    }
  });

  it('when Compose adds the start order, then it names exactly what each service of the stack file depends on', () => {
    expect(Object.keys(startOrder.services).filter((name) => !stack.services[name])).toEqual([]);
    for (const [name, service] of Object.entries(stack.services)) {
      expect(Object.keys(startOrder.services[name]?.depends_on ?? {}).sort(), name).toEqual(
        [...(service.depends_on ?? [])].sort(),
      );
    }
  });

  it.skipIf(!hasCompose)('when Compose merges the two files, then every container waits as the override says', () => {
    const { status, output } = runCommand('docker-compose', ['config']);
    expect(status, output).toBe(0);
    const merged = parse(output) as { services: Record<string, ComposeService> };
    const waits = Object.entries(compose.services).filter(([, s]) => s.depends_on);
    expect(waits.length).toBeGreaterThan(10);
    for (const [name, service] of waits) expect(merged.services[name]?.depends_on, name).toEqual(service.depends_on);
  });

  it.skipIf(!hasCompose)('when Compose reads the file, then it keeps every deploy section Swarm uses', () => {
    const { status, output } = runCommand('docker-compose', ['-f', 'docker-compose.yml', 'config']);
    expect(status, output).toBe(0);
    const resolved = parse(output) as { services: Record<string, ComposeService> };
    const declared = services.filter(([, s]) => s.deploy);
    expect(declared.length).toBeGreaterThan(10);
    // Compose writes CPU counts as numbers (`cpus: 2.0` for '2').
    const cpusAsNumbers = (deploy: unknown): unknown =>
      JSON.parse(JSON.stringify(deploy), (key, value: unknown) => (key === 'cpus' ? Number(value) : value));
    for (const [name, service] of declared) {
      expect(cpusAsNumbers(resolved.services[name]?.deploy), name).toEqual(cpusAsNumbers(service.deploy));
    }
  });

  it.each(nodeServices.map(([name, s]) => [name, s] as const))(
    'when %s is deployed, then it runs two replicas with the seed resources and rolls out without a gap',
    (_name, service) => {
      expect(replicas(service)).toBeGreaterThanOrEqual(2);
      expect(service.deploy?.resources).toEqual({
        limits: { cpus: '1', memory: '1G' },
        reservations: { cpus: '0.5', memory: '512M' },
      });
      expect(service.deploy?.restart_policy?.condition).toBe('any');
      expect(service.deploy?.update_config).toMatchObject({ order: 'start-first', failure_action: 'rollback' });
    },
  );

  it.each(jobs.map(([name, s]) => [name, s] as const))(
    'when the one-shot %s finishes, then Swarm leaves it finished and retries it only on failure, a bounded number of times',
    (_name, job) => {
      expect(job.deploy?.restart_policy?.condition).toBe('on-failure');
      expect(job.deploy?.restart_policy?.max_attempts).toBeGreaterThan(0);
    },
  );

  it('when a service keeps data in a volume of its own, then one task holds it and an update stops it first', () => {
    const named = new Set(Object.keys(compose.volumes));
    const holders = longRunning.filter(([, s]) =>
      (s.volumes ?? []).some((v) => named.has(v.split(':')[0]!) && !v.endsWith(':ro')),
    );
    expect(holders.map(([name]) => name)).toEqual(expect.arrayContaining(['postgres', 'redis', 'rabbitmq', 'backup']));
    for (const [name, s] of holders) {
      expect(s.deploy?.mode === 'global' || replicas(s) === 1, name).toBe(true);
      expect(s.deploy?.update_config?.order ?? 'stop-first', name).toBe('stop-first');
    }
  });

  it('when a service publishes a port on the host, then Compose starts one of it (a second could not bind)', () => {
    for (const [name, s] of services.filter(([, s]) => (s.ports ?? []).length > 0)) expect(replicas(s), name).toBe(1);
  });

  it('when the backup runs in the stack, then it is npm run backup against the stack, onto its own volume', () => {
    const backup = compose.services['backup']!;
    expect(backup.build).toMatchObject({ dockerfile: 'deploy/Dockerfile', target: 'backup' });
    expect(readText('deploy/Dockerfile')).toMatch(/^FROM tools AS backup$/m);
    expect(readText('deploy/Dockerfile')).toMatch(/postgresql-client-15/);
    expect(String(backup.command)).toContain('npx tsx scripts/backup.ts');
    expect(backup.environment).toMatchObject({ REDIS_URL: 'redis://redis:6379/0', BACKUP_DIR: '/backups' });
    expect(backup.environment?.['ADMIN_DATABASE_URL']).toBe(
      compose.services['db-bootstrap']!.environment?.['ADMIN_DATABASE_URL'],
    );
    expect(backup.volumes).toEqual(['backups:/backups']);
    expect(backup.depends_on?.['db-bootstrap']?.condition).toBe('service_completed_successfully');
  });
});
