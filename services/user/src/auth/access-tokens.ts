import { createHash, createPrivateKey, createPublicKey, type JsonWebKey, randomUUID } from 'node:crypto';
import { ACCESS_TOKEN_TYPE, JWT_ALGORITHM, type Role } from '@foodflow/platform';
import jwt from 'jsonwebtoken';

export interface AccessTokenIssuerOptions {
  privateKey: string;
  publicKey: string;
  issuer: string;
  audience: string;
  ttlS: number;
}

export interface Jwks {
  keys: (JsonWebKey & { kid: string; use: 'sig'; alg: typeof JWT_ALGORITHM })[];
}

/** RFC 7638 thumbprint: the SHA-256 of the key's required members in lexicographic order. */
const thumbprint = (jwk: JsonWebKey): string =>
  createHash('sha256')
    .update(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }))
    .digest('base64url');

/**
 * Signs access tokens with the service's private key (ES256). Only this service holds it; every other
 * service and the gateway verify with the public half, published here as a JWKS document.
 */
export class AccessTokenIssuer {
  readonly jwks: Jwks;
  private readonly kid: string;

  constructor(private readonly options: AccessTokenIssuerOptions) {
    const publicKey = createPublicKey(options.publicKey);
    const derived = createPublicKey(createPrivateKey(options.privateKey));
    const jwk = publicKey.export({ format: 'jwk' });
    if (jwk.kty !== 'EC' || jwk.crv !== 'P-256') throw new Error('The token-signing key must be an EC P-256 key');
    // Tokens signed with a key the rest of the platform cannot verify would lock everybody out.
    if (!publicKey.equals(derived)) throw new Error('JWT_PRIVATE_KEY does not match JWT_PUBLIC_KEY');
    this.kid = thumbprint(jwk);
    this.jwks = { keys: [{ ...jwk, kid: this.kid, use: 'sig', alg: JWT_ALGORITHM }] };
  }

  get ttlS(): number {
    return this.options.ttlS;
  }

  /** `familyId` becomes the `sid` claim: revoking that refresh-token family revokes this token too. */
  sign(user: { id: string; role: Role; firstName: string }, familyId: string): string {
    const { privateKey, issuer, audience, ttlS } = this.options;
    return jwt.sign({ role: user.role, firstName: user.firstName, sid: familyId }, privateKey, {
      algorithm: JWT_ALGORITHM,
      subject: user.id,
      issuer,
      audience,
      expiresIn: ttlS,
      jwtid: randomUUID(),
      header: { alg: JWT_ALGORITHM, typ: ACCESS_TOKEN_TYPE, kid: this.kid },
    });
  }
}
