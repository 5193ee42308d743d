import { routes, type RouteContract } from '@enclave/shared';
import { z } from 'zod';

type JsonSchema = Record<string, unknown>;

function schemaOf(type: z.ZodType, io: 'input' | 'output'): JsonSchema {
  return z.toJSONSchema(type, { target: 'openapi-3.0', io, unrepresentable: 'any' });
}

function parametersOf(type: z.ZodType | undefined, where: 'path' | 'query'): JsonSchema[] {
  if (!(type instanceof z.ZodObject)) return [];
  return Object.entries(type.shape as Record<string, z.ZodType>).map(([name, field]) => ({
    name,
    in: where,
    required: where === 'path' || !field.safeParse(undefined).success,
    schema: schemaOf(field, 'input'),
  }));
}

const errorResponse = {
  description: 'An error, in the one error shape',
  content: {
    'application/json': {
      schema: {
        type: 'object',
        required: ['error'],
        properties: {
          error: {
            type: 'object',
            required: ['code', 'message'],
            properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} },
          },
        },
      },
    },
  },
};

/** The OpenAPI document, generated from the route contracts in shared/: it cannot drift from the code. */
export function buildOpenApi(version: string): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const [name, route] of Object.entries(routes) as [string, RouteContract][]) {
    const path = route.path.replace(/:([A-Za-z]+)/g, '{$1}');
    const success: JsonSchema = { description: 'Success' };
    if (route.response)
      success.content = { 'application/json': { schema: schemaOf(route.response, 'output') } };
    if (route.produces)
      success.content = Object.fromEntries(
        route.produces.map((type) => [type, { schema: { type: 'string' } }]),
      );
    const operation: JsonSchema = {
      operationId: name,
      summary: route.summary,
      tags: [route.tag],
      parameters: [...parametersOf(route.params, 'path'), ...parametersOf(route.query, 'query')],
      responses: {
        [route.status]: route.status === 204 ? { description: 'Done' } : success,
        default: errorResponse,
      },
    };
    if (route.auth === 'session') operation.security = [{ session: [] }];
    if (route.auth === 'device') operation.security = [{ device: [] }];
    if (route.body) {
      operation.requestBody = {
        required: true,
        content: { 'application/json': { schema: schemaOf(route.body, 'input') } },
      };
    }
    (paths[path] ??= {})[route.method] = operation;
  }
  return {
    openapi: '3.0.3',
    info: {
      title: 'Enclave API',
      version,
      description:
        'Every request and response body is validated against these schemas. Errors share one shape.',
    },
    servers: [{ url: '/' }],
    components: {
      securitySchemes: {
        session: { type: 'apiKey', in: 'cookie', name: 'enclave_session' },
        device: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      },
    },
    paths,
  };
}
