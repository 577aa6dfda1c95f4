import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { OWNER_ROLE, passwordVariable, SERVICE_SCHEMAS } from '../../db/bootstrap.js';
import { STACK } from '../../scripts/lib/stack.js';
import { readText, readYaml, repoPath } from '../ops/lib/repo.js';
import { helm } from './lib/helm.js';

/**
 * deploy/helm/foodflow, with the real Helm 3: linted, rendered with the default and the production
 * values, every object validated against the Kubernetes API schemas (kubernetes-models), and the
 * rendering held to what docker-compose.yml does and the code needs. No cluster runs here.
 */
const CHART = repoPath('deploy/helm/foodflow');
const PRODUCTION = repoPath('deploy/helm/foodflow/values-production.yaml');

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; annotations?: Record<string, string>; labels?: Record<string, string> };
  spec?: any;
  data?: Record<string, string>;
  rules?: unknown[];
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}

interface ComposeService {
  image: string;
  command?: string[] | string;
  environment?: Record<string, string>;
  volumes?: string[];
}

const compose = readYaml<{ services: Record<string, ComposeService> }>('docker-compose.yml');

function render(...args: string[]): K8sObject[] {
  const result = helm(['template', 'foodflow', CHART, '--namespace', 'foodflow', ...args]);
  expect(result.status, result.stderr).toBe(0);
  return parseAllDocuments(result.stdout)
    .map((doc) => doc.toJS() as K8sObject | null)
    .filter((doc): doc is K8sObject => doc !== null);
}

const require = createRequire(import.meta.url);

/** The kubernetes-models class for an object's apiVersion and kind (`apps/v1` + `Deployment`). */
function modelFor(object: K8sObject): new (data: object) => { validate(): void } {
  const module = require(`kubernetes-models/${object.apiVersion}/${object.kind}`) as Record<
    string,
    new (data: object) => { validate(): void }
  >;
  const model = module[object.kind];
  if (!model) throw new Error(`No schema for ${object.apiVersion} ${object.kind}`);
  return model;
}

function schemaProblems(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  for (const object of objects) {
    try {
      new (modelFor(object))(object).validate();
    } catch (err) {
      problems.push(`${object.kind} ${object.metadata.name}: ${(err as Error).message}`);
    }
  }
  return problems;
}

const find = (objects: K8sObject[], kind: string, name: string): K8sObject => {
  const object = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!object) throw new Error(`${kind} ${name} is not rendered`);
  return object;
};

const podSpec = (object: K8sObject): any =>
  object.kind === 'CronJob' ? object.spec.jobTemplate.spec.template.spec : object.spec.template.spec;

const imageName = (image: string): string => image.split('/').at(-1)!.split(':')[0]!;

const SERVICES = STACK.filter((p) => p.dir.startsWith('services/'));

let defaults: K8sObject[];
let production: K8sObject[];

beforeAll(() => {
  defaults = render();
  production = render('-f', PRODUCTION);
});

describe('helm lint', () => {
  it.each([
    ['default', []],
    ['production', ['-f', PRODUCTION]],
  ])('when the chart is linted strictly with the %s values, then Helm finds nothing wrong', (_name, args) => {
    const result = helm(['lint', '--strict', CHART, ...args]);
    expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
    expect(result.stdout).toContain('0 chart(s) failed');
  });
});

describe('Kubernetes schemas', () => {
  it('when the default and production renderings are validated, then every object is valid for its API', () => {
    expect(schemaProblems(defaults)).toEqual([]);
    expect(schemaProblems(production)).toEqual([]);
  });

  it('when an object breaks its schema, then the validation says so (it is no rubber stamp)', () => {
    const deployment = structuredClone(find(defaults, 'Deployment', 'order-service'));
    delete deployment.spec.selector;
    const policy = structuredClone(find(defaults, 'NetworkPolicy', 'order-service'));
    policy.spec.egress[1].ports[0].port = [5432];
    const problems = schemaProblems([deployment, policy]);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/selector/);
  });

  it('when rendered, then every kind the issue asks for is there', () => {
    const kinds = new Set(defaults.map((o) => o.kind));
    for (const kind of [
      'Deployment',
      'Service',
      'HorizontalPodAutoscaler',
      'PodDisruptionBudget',
      'Ingress',
      'NetworkPolicy',
      'Job',
      'CronJob',
      'Secret',
      'ConfigMap',
      'PersistentVolumeClaim',
      'StatefulSet',
    ]) {
      expect(kinds, kind).toContain(kind);
    }
  });
});

describe('the services, as Compose runs them', () => {
  it.each(SERVICES.map((p) => [`${p.name}-service`, p.port] as const))(
    'when %s is deployed, then it has the image, port, environment and secret files Compose gives it',
    (name, port) => {
      const container = podSpec(find(defaults, 'Deployment', name)).containers[0];
      const composed = compose.services[name]!;
      expect(imageName(container.image)).toBe(imageName(composed.image));
      expect(container.ports).toEqual([{ name: 'http', containerPort: port }]);
      const env = container.env as EnvVar[];
      // Secrets are read into helper variables that Kubernetes expands into the URLs ($(DB_PASSWORD)).
      const expanded = env.flatMap((e) => [...(e.value ?? '').matchAll(/\$\((\w+)\)/g)].map((m) => m[1]!));
      const helpers = env.filter((e) => expanded.includes(e.name));
      expect(helpers.every((e) => e.valueFrom?.secretKeyRef)).toBe(true);
      // Tracing is the chart's choice (tracing.otlpEndpoint), tested below.
      const composedNames = Object.keys(composed.environment ?? {}).filter((n) => !n.startsWith('OTEL_'));
      expect(
        env
          .map((e) => e.name)
          .filter((n) => !expanded.includes(n))
          .sort(),
      ).toEqual(composedNames.sort());
      const mounts = (container.volumeMounts as { mountPath: string; readOnly?: boolean }[]).map((m) => m.mountPath);
      const composeMounts = (composed.volumes ?? []).map((v) => v.split(':')[1]);
      expect(mounts.sort()).toEqual(composeMounts.sort());
      expect(container.volumeMounts.every((m: { readOnly?: boolean }) => m.readOnly)).toBe(true);
    },
  );

  it.each(SERVICES.map((p) => `${p.name}-service`))(
    'when %s runs, then Kubernetes probes /health/live and /health/ready and it gets the seed resources',
    (name) => {
      const container = podSpec(find(defaults, 'Deployment', name)).containers[0];
      expect(container.readinessProbe.httpGet.path).toBe('/health/ready');
      expect(container.livenessProbe.httpGet.path).toBe('/health/live');
      expect(container.startupProbe.httpGet.path).toBe('/health/live');
      expect(container.resources).toEqual({
        requests: { cpu: '500m', memory: '512Mi' },
        limits: { cpu: '1', memory: '1Gi' },
      });
    },
  );

  it.each(['user-service', 'restaurant-service', 'order-service', 'delivery-service', 'kong', 'nginx'])(
    'when %s is under load or a node drains, then an autoscaler and a disruption budget cover it',
    (name) => {
      const hpa = find(defaults, 'HorizontalPodAutoscaler', name);
      expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name });
      expect(hpa.spec.maxReplicas).toBeGreaterThan(hpa.spec.minReplicas);
      expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
      const pdb = find(defaults, 'PodDisruptionBudget', name);
      expect(pdb.spec.selector.matchLabels).toEqual(find(defaults, 'Deployment', name).spec.selector.matchLabels);
      // The autoscaler owns the replica count, so an upgrade does not reset it.
      expect(find(defaults, 'Deployment', name).spec.replicas).toBeUndefined();
    },
  );

  it('when a trace collector is given, then every service exports to it under its own name, and may reach it', () => {
    const traced = render('--set', 'tracing.otlpEndpoint=http://jaeger.tracing:4318');
    for (const p of SERVICES) {
      const name = `${p.name}-service`;
      const env = podSpec(find(traced, 'Deployment', name)).containers[0].env as EnvVar[];
      const otel = Object.fromEntries(env.filter((e) => e.name.startsWith('OTEL_')).map((e) => [e.name, e.value]));
      expect(otel).toEqual({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger.tracing:4318',
        OTEL_TRACES_SAMPLER: 'parentbased_always_on',
        OTEL_SERVICE_NAME: name,
      });
      // Compose names no tracing variable the chart lacks.
      const composed = Object.keys(compose.services[name]!.environment ?? {}).filter((n) => n.startsWith('OTEL_'));
      expect(Object.keys(otel)).toEqual(expect.arrayContaining(composed));
      const ports = find(traced, 'NetworkPolicy', name).spec.egress.flatMap((rule: { ports: { port: number }[] }) =>
        rule.ports.map((port) => port.port),
      );
      expect(ports).toContain(4318);
    }
    expect(schemaProblems(traced)).toEqual([]);
  });

  it('when only the user service signs tokens, then only its pod mounts the signing keys', () => {
    for (const p of SERVICES) {
      const volumes = podSpec(find(defaults, 'Deployment', `${p.name}-service`)).volumes as {
        secret?: { secretName: string };
      }[];
      const signing = volumes.some((v) => v.secret?.secretName === 'foodflow-signing-keys');
      expect(signing, p.name).toBe(p.name === 'user');
    }
  });
});

describe('one source of truth', () => {
  it('when Kong and Nginx get their configuration, then it is the repository files themselves', () => {
    expect(find(defaults, 'ConfigMap', 'kong-declarative').data).toEqual({
      'kong.yml': readText('gateway/kong.yml').replace(/\n$/, ''),
      'render-kong-config.sh': readText('deploy/render-kong-config.sh').replace(/\n$/, ''),
    });
    expect(find(defaults, 'ConfigMap', 'nginx-config').data?.['nginx.conf']).toBe(
      readText('nginx/nginx.conf').replace(/\n$/, ''),
    );
    expect(find(defaults, 'ConfigMap', 'rabbitmq-plugins').data?.['enabled_plugins']).toBe(
      readText('monitoring/rabbitmq/enabled_plugins'),
    );
  });

  it('when Kong starts, then decK renders kong.yml with the public key first, as the kong-config job does', () => {
    const pod = podSpec(find(defaults, 'Deployment', 'kong'));
    const renderer = pod.initContainers[0];
    expect(renderer.image).toBe(compose.services['kong-config']!.image);
    expect(renderer.command).toEqual(['/bin/sh', ...(compose.services['kong-config']!.command as string[])]);
    const kong = pod.containers[0];
    expect(kong.image).toBe(compose.services['kong']!.image);
    const env = Object.fromEntries((kong.env as EnvVar[]).map((e) => [e.name, e.value]));
    expect(env).toMatchObject({ KONG_DATABASE: 'off', KONG_DECLARATIVE_CONFIG: '/kong/kong.yml' });
    const composed = Object.keys(compose.services['kong']!.environment!);
    expect(Object.keys(env).sort()).toEqual(composed.filter((n) => !n.startsWith('KONG_TRACING_')).sort());
    const traced = podSpec(find(render('--set', 'tracing.otlpEndpoint=http://jaeger:4318'), 'Deployment', 'kong'));
    const tracedNames = (traced.containers[0].env as EnvVar[]).map((e) => e.name);
    expect(tracedNames).toEqual(expect.arrayContaining(['KONG_TRACING_INSTRUMENTATIONS', ...composed]));
  });

  it('when kong.yml and nginx.conf name their upstreams, then a Service of that name and port exists', () => {
    const kong = readYaml<{ services: { url: string }[]; upstreams: { targets: { target: string }[] }[] }>(
      'gateway/kong.yml',
    );
    const addresses = [
      ...kong.services.map((s) => new URL(s.url)).filter((u) => u.port !== ''),
      ...kong.upstreams.flatMap((u) => u.targets.map((t) => new URL(`http://${t.target}`))),
      ...[...readText('nginx/nginx.conf').matchAll(/server (\w[\w-]*):(\d+);/g)].map(
        (m) => new URL(`http://${m[1]}:${m[2]}`),
      ),
    ];
    expect(addresses.length).toBeGreaterThan(5);
    for (const address of addresses) {
      const service = find(defaults, 'Service', address.hostname);
      expect(
        service.spec.ports.map((p: { port: number }) => p.port),
        address.host,
      ).toContain(Number(address.port));
    }
  });

  it('when the chart is built, then its files/ are links to the repository files, not copies', () => {
    for (const [file, source] of [
      ['kong.yml', 'gateway/kong.yml'],
      ['nginx.conf', 'nginx/nginx.conf'],
      ['render-kong-config.sh', 'deploy/render-kong-config.sh'],
      ['rabbitmq-enabled-plugins', 'monitoring/rabbitmq/enabled_plugins'],
    ]) {
      expect(readFileSync(repoPath('deploy/helm/foodflow/files', file!), 'utf8')).toBe(readText(source!));
    }
  });
});

describe('jobs', () => {
  const hook = (object: K8sObject) => object.metadata.annotations?.['helm.sh/hook'];

  it('when the platform is installed or upgraded, then the keys job makes the secrets first, as Compose does', () => {
    const job = find(defaults, 'Job', 'foodflow-keys');
    expect(hook(job)).toBe('pre-install,pre-upgrade');
    expect(podSpec(job).initContainers[0].command).toEqual(compose.services['keys']!.command);
    const stored = podSpec(job).containers[0].command.join(' ');
    for (const secret of ['SIGNING_KEYS', 'PUBLIC_KEY', 'INTERNAL_SECRET']) expect(stored).toContain(`"$${secret}"`);
    // `kubectl apply` would keep a copy of the keys in an annotation anyone describing the secret sees.
    expect(stored).not.toMatch(/kubectl apply/);
    expect(find(defaults, 'Role', 'foodflow-keys').rules).toEqual([
      { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
      {
        apiGroups: [''],
        resources: ['secrets'],
        resourceNames: ['foodflow-signing-keys', 'foodflow-public-key', 'foodflow-internal-secret'],
        verbs: ['get', 'delete'],
      },
    ]);
  });

  it('when the platform is installed or upgraded, then the migrations run as a hook with the bootstrap of Compose', () => {
    const job = find(defaults, 'Job', 'foodflow-migrations');
    expect(hook(job)).toBe('post-install,pre-upgrade');
    expect(podSpec(job).containers[0].command).toEqual(compose.services['db-bootstrap']!.command);
    // In production the bootstrap refuses to run without every role's password.
    const env = (podSpec(job).containers[0].env as EnvVar[]).map((e) => e.name);
    expect(env).toEqual(
      expect.arrayContaining([
        'NODE_ENV',
        'ADMIN_DATABASE_URL',
        ...[OWNER_ROLE, ...SERVICE_SCHEMAS.map((s) => s.role)].map(passwordVariable),
      ]),
    );
    const withoutSeed = find(production, 'Job', 'foodflow-migrations');
    expect(podSpec(withoutSeed).containers[0].command).toEqual(['npx', 'tsx', 'scripts/bootstrap-db.ts']);
  });

  it('when a day passes, then the backup CronJob runs npm run backup onto its own claim', () => {
    const cron = find(defaults, 'CronJob', 'foodflow-backup');
    const container = podSpec(cron).containers[0];
    expect(container.command).toEqual(['npx', 'tsx', 'scripts/backup.ts']);
    expect(JSON.parse(readText('package.json')).scripts.backup).toContain('scripts/backup.ts');
    const claim = podSpec(cron).volumes[0].persistentVolumeClaim.claimName;
    expect(find(defaults, 'PersistentVolumeClaim', claim).metadata.annotations?.['helm.sh/resource-policy']).toBe(
      'keep',
    );
    expect(cron.spec.concurrencyPolicy).toBe('Forbid');
  });
});

describe('edge', () => {
  it('when a client opens a socket, then /socket.io/ goes to Kong on a sticky cookie with long timeouts', () => {
    const socket = find(defaults, 'Ingress', 'foodflow-socket');
    expect(socket.metadata.annotations).toMatchObject({
      'nginx.ingress.kubernetes.io/affinity': 'cookie',
      'nginx.ingress.kubernetes.io/proxy-read-timeout': '3600',
    });
    expect(socket.spec.rules[0].http.paths).toEqual([
      { path: '/socket.io/', pathType: 'Prefix', backend: { service: { name: 'kong', port: { number: 8000 } } } },
    ]);
    const site = find(defaults, 'Ingress', 'foodflow');
    expect(site.spec.rules[0].http.paths.map((p: { path: string }) => p.path)).toEqual(['/api/', '/']);
  });

  it('when a body is too large, then Kong refuses it in the contract shape, before the ingress would', () => {
    const kong = readYaml<{
      plugins: { name: string; config: { allowed_payload_size?: number; size_unit?: string } }[];
    }>('gateway/kong.yml');
    const limit = kong.plugins.find((p) => p.name === 'request-size-limiting')!.config;
    expect(limit.size_unit).toBe('megabytes');
    const ingressLimit = find(defaults, 'Ingress', 'foodflow').metadata.annotations?.[
      'nginx.ingress.kubernetes.io/proxy-body-size'
    ];
    expect(Number(/^(\d+)m$/.exec(ingressLimit ?? '')?.[1])).toBeGreaterThan(limit.allowed_payload_size!);
  });
});

describe('network policies', () => {
  const labelsOf = (objects: K8sObject[], component: string) =>
    objects.find((o) => o.kind !== 'Service' && o.metadata.labels?.['app.kubernetes.io/component'] === component);

  /** What a service's own code connects to: its config's broker flag and the peers' URLs it reads. */
  const usedBy = (dir: string): number[] => {
    const config = readText(`${dir}/src/config.ts`);
    const peers = [...config.matchAll(/\b(\w+)_SERVICE_URL:/g)].map(
      (m) => STACK.find((p) => p.name === m[1]!.toLowerCase())!.port,
    );
    return [5432, 6379, ...(/broker: true/.test(config) ? [5672] : []), ...peers];
  };

  const egressPorts = (policy: K8sObject): number[] =>
    (policy.spec.egress as { ports: { port: number }[] }[]).flatMap((rule) => rule.ports.map((p) => p.port));

  it.each(SERVICES.map((p) => [`${p.name}-service`, p.dir] as const))(
    'when %s talks to anything, then it reaches exactly what its code uses, and DNS',
    (name, dir) => {
      const policy = find(defaults, 'NetworkPolicy', name);
      expect(egressPorts(policy).sort()).toEqual([53, 53, ...usedBy(dir)].sort());
    },
  );

  it('when every pod of the release is counted, then each is denied by default and opened by a policy of its own', () => {
    const deny = find(defaults, 'NetworkPolicy', 'foodflow-default-deny');
    expect(deny.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    const workloads = defaults.filter((o) => ['Deployment', 'StatefulSet', 'Job', 'CronJob'].includes(o.kind));
    for (const workload of workloads) {
      const labels =
        workload.kind === 'CronJob'
          ? workload.spec.jobTemplate.spec.template.metadata.labels
          : workload.spec.template.metadata.labels;
      expect(labels).toMatchObject(deny.spec.podSelector.matchLabels);
      const own = defaults.filter(
        (o) =>
          o.kind === 'NetworkPolicy' &&
          o !== deny &&
          Object.entries(o.spec.podSelector.matchLabels).every(([k, v]) => labels[k] === v),
      );
      expect(own.length, workload.metadata.name).toBe(1);
    }
    expect(labelsOf(defaults, 'postgres')).toBeDefined();
  });

  it('when PostgreSQL runs in the chart, then only the services, the migrations and the backup reach it', () => {
    const from = find(defaults, 'NetworkPolicy', 'postgres')
      .spec.ingress[0].from.map(
        (peer: { podSelector: { matchLabels: Record<string, string> } }) =>
          peer.podSelector.matchLabels['app.kubernetes.io/component'],
      )
      .sort();
    expect(from).toEqual([...SERVICES.map((p) => `${p.name}-service`), 'backup', 'migrations'].sort());
  });
});

describe('production values', () => {
  it('when PostgreSQL, Redis and RabbitMQ are managed, then the chart runs none and names their hosts', () => {
    expect(production.filter((o) => o.kind === 'StatefulSet')).toEqual([]);
    for (const name of ['postgres', 'redis', 'rabbitmq']) {
      expect(find(production, 'Service', name).spec).toMatchObject({ type: 'ExternalName' });
    }
    const policy = find(production, 'NetworkPolicy', 'order-service');
    const toManaged = policy.spec.egress.filter((rule: { to: { ipBlock?: object }[] }) => rule.to[0]?.ipBlock);
    expect(toManaged.map((rule: { ports: { port: number }[] }) => rule.ports[0]!.port).sort()).toEqual([
      5432, 5672, 6379,
    ]);
  });

  it('when passwords are managed elsewhere, then the chart makes no credentials secret and reads theirs', () => {
    expect(production.filter((o) => o.kind === 'Secret')).toEqual([]);
    const env = podSpec(find(production, 'Deployment', 'order-service')).containers[0].env as EnvVar[];
    expect(env.find((e) => e.name === 'DB_PASSWORD')?.valueFrom?.secretKeyRef?.name).toBe(
      'foodflow-credentials-managed',
    );
  });

  it('when a managed host is left out, then rendering stops and says which', () => {
    const result = helm(['template', 'foodflow', CHART, '-f', PRODUCTION, '--set', 'redis.external.host=']);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('redis.external.host is required');
  });
});
