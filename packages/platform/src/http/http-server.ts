import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';

/** How many requests the shapes are learnt from; later requests only use what was learnt. */
const LEARN_FROM = 1000;

/** At most this many properties are given in advance to each object, whatever the requests added. */
const MAX_PROPERTIES = 64;

type Keyed = Record<PropertyKey, unknown>;

/** Makes each of `keys` an own property of `target`, holding the value `target` inherits for it. */
function giveInAdvance(target: object, keys: Set<PropertyKey>): void {
  const keyed = target as Keyed;
  for (const key of keys) {
    if (Object.hasOwn(keyed, key)) continue;
    const inherited = keyed[key];
    keyed[key] = inherited;
  }
}

/**
 * Whether `key` may be given to `target` in advance with the value it inherits: only a plain, writable data
 * property that no getter or setter along the object's prototypes stands for (`req.query` is a getter of
 * Express's, which validation shadows: giving it in advance would hide the getter from every request).
 */
function plainProperty(target: object, key: PropertyKey): boolean {
  const own = Object.getOwnPropertyDescriptor(target, key);
  if (!own || !('value' in own) || !own.writable) return false;
  for (let proto = Object.getPrototypeOf(target) as object | null; proto; proto = Object.getPrototypeOf(proto)) {
    const inherited = Object.getOwnPropertyDescriptor(proto, key);
    if (inherited) return 'value' in inherited && inherited.writable === true;
  }
  return true;
}

/**
 * The properties Express, its router, the body parser and Node add to a request and its response, learnt
 * from the first requests and given in advance to every later one.
 *
 * Why: Express gives each request and response its own prototypes (`Object.setPrototypeOf(req,
 * app.request)`), and V8 (as in Node 20) does not reuse an object's layout for a property added after its
 * prototype changed: each such property copies the whole layout, several microseconds each. Express and its
 * router add about ten (`next`, `baseUrl`, `originalUrl`, `params`, `route`, `locals`, `statusCode`...), which
 * makes them most of what a small request costs. A property the object already has when its prototype
 * changes is a plain store afterwards, so each one is given to the objects, with the value they would
 * inherit anyway, before Express sees them. Which ones is learnt rather than listed: they are the libraries'
 * internals (some are symbols no one outside can name), and change with their versions.
 */
export class RequestShapes {
  private readonly request = new Set<PropertyKey>();
  private readonly response = new Set<PropertyKey>();
  private learning = LEARN_FROM;

  /** Gives `req` and `res` the properties learnt so far, each with the value it inherits. */
  prepare(req: IncomingMessage, res: ServerResponse): void {
    giveInAdvance(req, this.request);
    giveInAdvance(res, this.response);
  }

  /** While still learning: notes what `req` and `res` gained by the time the response is closed. */
  observe(req: IncomingMessage, res: ServerResponse): void {
    if (this.learning <= 0) return;
    this.learning -= 1;
    const requestBefore = new Set(Reflect.ownKeys(req));
    const responseBefore = new Set(Reflect.ownKeys(res));
    res.once('close', () => {
      this.learn(req, requestBefore, this.request);
      this.learn(res, responseBefore, this.response);
    });
  }

  private learn(target: object, before: Set<PropertyKey>, into: Set<PropertyKey>): void {
    for (const key of Reflect.ownKeys(target)) {
      if (into.size >= MAX_PROPERTIES) return;
      if (!before.has(key) && plainProperty(target, key)) into.add(key);
    }
  }
}

/**
 * The HTTP server every service runs its app in: `node:http`'s, with each request and response shaped in
 * advance for Express (see `RequestShapes`).
 */
export function createHttpServer(app: RequestListener): Server {
  const shapes = new RequestShapes();
  return createServer((req, res) => {
    shapes.prepare(req, res);
    shapes.observe(req, res);
    app(req, res);
  });
}
