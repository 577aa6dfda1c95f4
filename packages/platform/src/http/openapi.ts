import type { Express } from 'express';
import type Joi from 'joi';
import joiToSwaggerModule from 'joi-to-swagger';
import { errorStatus } from '../errors/error-codes.js';
import type { RequestSchemas } from './validate.js';

/**
 * The OpenAPI document of a service, derived from what the routes already declare: the path and
 * method, the Joi schemas given to `validate` (each schema is written once, for validation and for
 * the documentation alike), and whether `requireAuth` and `requireRole` guard the route.
 */
const DOCS = Symbol.for('foodflow.openapi');

interface HandlerDocs {
  schemas?: RequestSchemas;
  authenticated?: boolean;
  roles?: string[];
}

/** Marks a middleware with what it tells the documentation. */
export function describeHandler<T extends object>(handler: T, docs: HandlerDocs): T {
  Object.assign(handler, { [DOCS]: docs });
  return handler;
}

interface Layer {
  name?: string;
  handle: { stack?: Layer[] } & Record<symbol, HandlerDocs | undefined>;
  method?: string;
  route?: { path: string; stack: Layer[] };
}

interface Operation {
  method: string;
  path: string;
  docs: HandlerDocs;
}

function* operations(stack: Layer[]): Generator<Operation> {
  for (const layer of stack) {
    if (layer.route) {
      const byMethod = new Map<string, HandlerDocs>();
      for (const step of layer.route.stack) {
        if (!step.method) continue;
        const docs = byMethod.get(step.method) ?? {};
        const more = step.handle[DOCS];
        if (more) {
          docs.schemas = { ...docs.schemas, ...more.schemas };
          docs.authenticated ||= more.authenticated;
          if (more.roles) docs.roles = more.roles;
        }
        byMethod.set(step.method, docs);
      }
      for (const [method, docs] of byMethod) yield { method, path: layer.route.path, docs };
    } else if (layer.name === 'router' && layer.handle.stack) {
      // Routers are mounted at the root and declare full paths.
      yield* operations(layer.handle.stack);
    }
  }
}

// A CommonJS module whose typings declare an ES default export; under NodeNext that default is `.default`.
const joiToSwagger = joiToSwaggerModule.default;
const swagger = (schema: Joi.Schema) => joiToSwagger(schema).swagger as Record<string, unknown>;

function parameters(where: 'path' | 'query', schema: Joi.Schema | undefined): unknown[] {
  if (!schema) return [];
  const described = swagger(schema) as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(described.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || (described.required ?? []).includes(name),
    schema: property,
  }));
}

const errorResponse = { $ref: '#/components/responses/Error' };

export function openApiDocument(app: Express, info: { title: string; version: string }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const router = (app as unknown as { router: { stack: Layer[] } }).router;
  for (const { method, path, docs } of operations(router.stack)) {
    if (!path.startsWith('/api/')) continue;
    const openApiPath = path.replace(/:(\w+)/g, '{$1}');
    const responses: Record<string, unknown> = { [method === 'post' ? '201' : '200']: { description: 'Success' } };
    if (docs.schemas) responses['400'] = errorResponse;
    if (docs.authenticated) responses['401'] = errorResponse;
    if (docs.roles) responses['403'] = errorResponse;
    paths[openApiPath] ??= {};
    paths[openApiPath][method] = {
      ...(docs.roles ? { description: `Roles: ${docs.roles.join(', ')}` } : {}),
      ...(docs.authenticated ? { security: [{ bearer: [] }] } : { security: [] }),
      parameters: [...parameters('path', docs.schemas?.params), ...parameters('query', docs.schemas?.query)],
      ...(docs.schemas?.body
        ? { requestBody: { required: true, content: { 'application/json': { schema: swagger(docs.schemas.body) } } } }
        : {}),
      responses,
    };
  }
  return {
    openapi: '3.0.3',
    info,
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      responses: {
        Error: {
          description: 'An error in the contract shape',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['error'],
                properties: {
                  error: {
                    type: 'object',
                    required: ['code', 'message'],
                    properties: {
                      code: { type: 'string', enum: Object.keys(errorStatus) },
                      message: { type: 'string' },
                      details: {
                        type: 'array',
                        items: {
                          type: 'object',
                          properties: { path: { type: 'string' }, message: { type: 'string' } },
                        },
                      },
                      requestId: { type: 'string' },
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
  };
}
