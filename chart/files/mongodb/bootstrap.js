// Bootstrap of the bundled MongoDB, run by the `bootstrap` sidecar of pod 0 (mongosh --nodb) on every
// start of the pod. It forms the replica set (replica-set mode) and makes sure the app user exists.
//
// Why this shape:
// - mongosh throws on every command answered with ok: 0, so each expected refusal is caught and told
//   apart by its code (NotYetInitialized, AlreadyInitialized, user already exists).
// - With MONGO_INITDB_ROOT_* the image first runs a temporary mongod WITHOUT --replSet/--keyFile/--auth on
//   127.0.0.1 and creates the root user (and the app user, create-app-user.js), then restarts mongod with
//   the real arguments. So this runs afterwards, authenticated as root.
// - Split brain: this member initiates only when it has no config itself AND every other member answers
//   `hello` without a setName. A member 0 that lost its volume while the others still hold the set must
//   not create a second set with the same name: the primary's heartbeats add it back (initial sync). A
//   member that does not answer might hold the set, so it blocks initiation too. And never twice.
// - Hosts are the pods' stable DNS names (headless Service), never localhost, because clients and members
//   connect to the names stored in the replica-set config.
// - Members are added one per reconfig (MongoDB allows one voting-member change at a time), and only those
//   that answer, so a restart of pod 0 or a scale-up re-runs this safely. Scale-down stays manual.
// - One connection to the local mongod for the whole run; every other connection is closed after use, so
//   waiting for a Pending member for hours does not grow the sidecar's memory.
const fs = require('fs');
const members = (process.env.MEMBERS ?? '').split(',').filter((host) => host !== '');
const self = members[0];
const setName = process.env.REPLICA_SET_NAME ?? '';
const localAddress = process.env.LOCAL_ADDRESS ?? '127.0.0.1:27017';
const rootUser = process.env.MONGO_ROOT_USERNAME;
const rootPasswordFile = process.env.MONGO_ROOT_PASSWORD_FILE;
const appUserScript = process.env.APP_USER_SCRIPT ?? '/scripts/create-app-user.js';
const intervalMs = Number(process.env.BOOTSTRAP_INTERVAL_MS ?? 5000);
const NOT_YET_INITIALIZED = 94;
const ALREADY_INITIALIZED = 23;
const AUTHENTICATION_FAILED = 18;

// Read on every use: a corrected Secret reaches the mounted file without a restart. All trailing newlines
// are dropped, as the image's entrypoint does ($(< file)) when it creates the root user from this file.
const rootPassword = () => fs.readFileSync(rootPasswordFile, 'utf8').replace(/\n+$/, '');
const uri = (host) => `mongodb://${host}/?directConnection=true&serverSelectionTimeoutMS=3000&connectTimeoutMS=3000`;

function authenticated(conn) {
  const admin = conn.getDB('admin');
  try {
    admin.auth(rootUser, rootPassword());
  } catch (error) {
    if (error.code === AUTHENTICATION_FAILED) {
      print(
        `authentication as ${rootUser} failed: the Secret's mongodb-root-password does not match this volume's root user, ` +
          `or the volume's first start was interrupted before the users were created. Restore the password the volume was ` +
          `created with, or delete the PVC of this member and its pod (chart README, "Recovering a member").`,
      );
    }
    throw error;
  }
  return admin;
}

/**
 * Runs `use(conn)` with a new connection to `host`, and closes it whatever happens.
 * Inside try blocks results are stored before they are returned: mongosh rewrites shell-API calls to
 * async ones and awaits them only as statements, so `return use(conn)` would leave the try (and its
 * finally or catch) before the command had run.
 */
function withConnection(host, use) {
  const conn = new Mongo(uri(host));
  try {
    const result = use(conn);
    return result;
  } finally {
    conn.close();
  }
}

let local;
/** The admin database of this pod's mongod, over the one connection kept for the whole run. */
function localAdmin() {
  if (local === undefined) {
    const conn = new Mongo(uri(localAddress));
    try {
      authenticated(conn);
    } catch (error) {
      conn.close();
      throw error;
    }
    local = conn;
  }
  return local.getDB('admin');
}

/** `hello` of another member (no authentication needed), or the reason it did not answer. */
function helloOf(host) {
  try {
    const hello = withConnection(host, (conn) => conn.getDB('admin').runCommand({ hello: 1 }));
    return hello;
  } catch (error) {
    return { unreachable: error.message };
  }
}

let initiated = false;
/** True when this member has a replica-set config; otherwise initiates the set if that is safe. */
function hasConfig(admin) {
  try {
    admin.runCommand({ replSetGetStatus: 1 });
    return true;
  } catch (error) {
    if (error.code !== NOT_YET_INITIALIZED) throw error;
  }
  if (initiated) {
    print(`waiting for ${setName} to come up after initiation`);
    return false;
  }
  const holders = [];
  const silent = [];
  for (const host of members.slice(1)) {
    const hello = helloOf(host);
    if (hello.unreachable !== undefined) silent.push(`${host} (${hello.unreachable})`);
    else if (hello.setName !== undefined) holders.push(`${host} (set ${hello.setName})`);
  }
  if (holders.length > 0) {
    print(`not initiating: ${holders.join(', ')} already hold a configuration; the primary adds this member back (its volume is empty)`);
    return false;
  }
  if (silent.length > 0) {
    print(`not initiating until every member answers: ${silent.join(', ')}`);
    return false;
  }
  print(`initiating ${setName} with ${self}`);
  try {
    admin.runCommand({ replSetInitiate: { _id: setName, members: [{ _id: 0, host: self }] } });
  } catch (error) {
    if (error.code !== ALREADY_INITIALIZED) throw error;
  }
  initiated = true;
  return false;
}

/** Creates the app user if missing, with the same script the image runs on an empty volume. */
function ensureAppUser(admin) {
  db = admin;
  load(appUserScript);
}

/** Adds one missing member that answers; returns true when every member is in the config. */
function addMissingMember(primary) {
  const { config } = primary.runCommand({ replSetGetConfig: 1 });
  const known = new Set(config.members.map((member) => member.host));
  const missing = members.filter((host) => !known.has(host));
  if (missing.length === 0) {
    ensureAppUser(primary);
    return true;
  }
  // A plain loop: mongosh runs shell-API functions asynchronously, so avoid passing one as an Array callback.
  let next;
  for (const host of missing) {
    if (helloOf(host).unreachable === undefined) {
      next = host;
      break;
    }
  }
  if (next === undefined) {
    print(`waiting for ${missing.join(', ')} to answer`);
    return false;
  }
  config.version += 1;
  config.members.push({ _id: Math.max(...config.members.map((member) => member._id)) + 1, host: next });
  print(`adding ${next}`);
  primary.runCommand({ replSetReconfig: config });
  return false;
}

/** One reconciliation step; returns true when there is nothing left to do. */
function step() {
  const admin = localAdmin();
  if (setName === '') {
    ensureAppUser(admin);
    return true;
  }
  if (!hasConfig(admin)) return false;
  const hello = admin.runCommand({ hello: 1 });
  if (hello.primary === undefined) {
    print('waiting for a primary');
    return false;
  }
  if (hello.isWritablePrimary) return addMissingMember(admin);
  return withConnection(hello.primary, (conn) => addMissingMember(authenticated(conn)));
}

for (;;) {
  let done = false;
  try {
    done = step();
  } catch (error) {
    print(`retrying: ${error.message}`);
  }
  if (done) {
    print(setName === '' ? 'standalone ready' : `replica set ${setName} has all ${members.length} members`);
    break;
  }
  sleep(intervalMs);
}
if (local !== undefined) local.close();
