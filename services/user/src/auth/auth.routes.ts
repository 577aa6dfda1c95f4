import { authUser, validate } from '@foodflow/platform';
import { type RequestHandler, Router } from 'express';
import type { Jwks } from './access-tokens.js';
import { loginBody, logoutBody, refreshBody, registerBody } from './auth.schemas.js';
import type { AuthService } from './auth.service.js';

export function authRoutes(auth: AuthService, jwks: Jwks, requireAuth: RequestHandler): Router {
  const router = Router();

  router.post('/api/auth/register', validate({ body: registerBody }), async (req, res) => {
    res.status(201).json(await auth.register(req.body));
  });

  router.post('/api/auth/login', validate({ body: loginBody }), async (req, res) => {
    res.json(await auth.login(req.body, req.ip ?? req.socket.remoteAddress ?? 'unknown'));
  });

  router.post('/api/auth/refresh', validate({ body: refreshBody }), async (req, res) => {
    res.json(await auth.refresh(req.body.refreshToken));
  });

  router.post('/api/auth/logout', requireAuth, validate({ body: logoutBody }), async (req, res) => {
    await auth.logout(authUser(res), req.body.refreshToken);
    res.status(204).end();
  });

  // Public key set for verifiers (Kong's jwt plugin, other services); public by nature.
  router.get('/.well-known/jwks.json', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=300').json(jwks);
  });

  return router;
}
