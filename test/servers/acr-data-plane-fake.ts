/**
 * ACR data-plane contract fake (loopback HTTPS) for the tag lock: the token exchange and the tag
 * attributes update of Azure/azure-rest-api-specs
 * specification/containerregistry/data-plane/Azure.ContainerRegistry/stable/2021-07-01
 * (examples PostRefreshToken, PostAccessToken, UpdateTagAttributes):
 * - `POST /oauth2/exchange` form `grant_type=access_token&service&access_token[&tenant]` → `{ refresh_token }`
 * - `POST /oauth2/token` form `grant_type=refresh_token&service&scope&refresh_token` → `{ access_token }`
 * - `PATCH /acr/v1/{name}/_tags/{reference}` JSON changeable attributes → 200 with the tag's attributes.
 * Tokens are checked end to end (AAD token → refresh token → access token scoped to the
 * repository with `metadata_write`); wrong ones are violations.
 */
import { ContractFake } from './contract-fake';
import { bearerToken, jsonBody, startHttpsContractServer, type HttpsContractServer, type RecordedRequest } from './https-contract-server';

export class AcrDataPlaneFake extends ContractFake {
  /** `repo:tag` → attributes set on it. */
  readonly tagAttributes = new Map<string, Record<string, boolean>>();
  private readonly refreshToken = 'acr-refresh-token';
  private readonly accessTokens = new Map<string, string>();

  private constructor(
    server: HttpsContractServer,
    readonly loginServer: string,
    readonly aadToken: string,
  ) {
    super(server, 'ACR data-plane fake');
  }

  static async start(options: { loginServer: string; aadToken?: string }): Promise<AcrDataPlaneFake> {
    let fake: AcrDataPlaneFake | undefined;
    const server = await startHttpsContractServer({
      name: 'acr-data-plane-fake',
      routes: () => [
        { name: 'exchange', method: 'POST', path: /^\/oauth2\/exchange$/, handle: (req) => fake!.exchange(req) },
        { name: 'token', method: 'POST', path: /^\/oauth2\/token$/, handle: (req) => fake!.token(req) },
        { name: 'tagAttributes', method: 'PATCH', path: /^\/acr\/v1\/(.+)\/_tags\/([^/]+)$/, handle: (req, m) => fake!.patchTag(req, m[1], decodeURIComponent(m[2])) },
      ],
    });
    fake = new AcrDataPlaneFake(server, options.loginServer, options.aadToken ?? 'aad-acr-token');
    return fake;
  }

  private form(req: RecordedRequest, name: string, required: string[]): URLSearchParams | undefined {
    if (!String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      this.server.violation(`${name}: content-type ${req.headers['content-type']}`);
      return undefined;
    }
    const form = new URLSearchParams(req.body.toString('utf8'));
    const missing = required.filter((k) => !form.get(k));
    if (missing.length > 0 || form.get('service') !== this.loginServer) {
      this.server.violation(`${name}: missing ${missing.join(', ') || '-'}; service ${form.get('service')}`);
      return undefined;
    }
    return form;
  }

  private exchange(req: RecordedRequest) {
    const form = this.form(req, 'exchange', ['grant_type', 'service', 'access_token']);
    if (!form || form.get('grant_type') !== 'access_token' || form.get('access_token') !== this.aadToken) {
      this.server.violation('exchange: wrong grant or AAD token');
      return { status: 401, json: { errors: [{ code: 'UNAUTHORIZED', message: 'invalid AAD token' }] } };
    }
    return { status: 200, json: { refresh_token: this.refreshToken } };
  }

  private token(req: RecordedRequest) {
    const form = this.form(req, 'token', ['grant_type', 'service', 'scope', 'refresh_token']);
    if (!form || form.get('grant_type') !== 'refresh_token' || form.get('refresh_token') !== this.refreshToken) {
      this.server.violation('token: wrong grant or refresh token');
      return { status: 401, json: { errors: [{ code: 'UNAUTHORIZED', message: 'invalid refresh token' }] } };
    }
    const scope = form.get('scope')!;
    const access = `acr-access-${this.accessTokens.size + 1}`;
    this.accessTokens.set(access, scope);
    return { status: 200, json: { access_token: access } };
  }

  private patchTag(req: RecordedRequest, repository: string, tag: string) {
    const scope = this.accessTokens.get(bearerToken(req) ?? '');
    if (scope !== `repository:${repository}:metadata_write`) {
      this.server.violation(`tagAttributes: token scope ${scope} does not allow metadata_write on ${repository}`);
      return { status: 401, json: { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] } };
    }
    const body = jsonBody(req) as Record<string, unknown>;
    const allowed = ['deleteEnabled', 'writeEnabled', 'listEnabled', 'readEnabled'];
    const bad = Object.entries(body ?? {}).filter(([k, v]) => !allowed.includes(k) || typeof v !== 'boolean');
    if (!body || bad.length > 0) {
      this.server.violation(`tagAttributes: invalid body ${req.body.toString('utf8')}`);
      return { status: 400, json: { errors: [{ code: 'BAD_REQUEST', message: 'invalid attributes' }] } };
    }
    const key = `${repository}:${tag}`;
    const attributes = { deleteEnabled: true, writeEnabled: true, readEnabled: true, listEnabled: true, ...this.tagAttributes.get(key), ...(body as Record<string, boolean>) };
    this.tagAttributes.set(key, attributes);
    return { status: 200, json: { registry: this.loginServer, imageName: repository, tag: { name: tag, changeableAttributes: attributes } } };
  }
}
