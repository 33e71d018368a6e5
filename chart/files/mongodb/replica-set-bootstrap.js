// Replica-set bootstrap, run by the `replset-bootstrap` sidecar of pod 0 (mongosh --nodb).
//
// Why this shape:
// - With MONGO_INITDB_ROOT_* the image first runs a temporary mongod WITHOUT --replSet/--keyFile on
//   127.0.0.1, creates the root user (and runs initdb scripts), then restarts mongod with the real args.
//   So the set is initiated afterwards, authenticated as root (no localhost exception once users exist).
// - Every member creates the same users on its own empty volume; only pod 0 keeps its data. The others
//   are added afterwards and replace their data by initial sync, so the initiate never meets a
//   non-empty secondary.
// - Hosts are the pods' stable DNS names (headless Service), never localhost, because clients and
//   members connect to the names stored in the replica-set config.
// - Idempotent: it initiates only when this node says NotYetInitialized, adds only missing members, one
//   per reconfig (MongoDB allows one voting-member change at a time), and only members that answer, so
//   a restart of pod 0 or a scale-up re-runs it safely. Scale-down (rs.remove) stays manual.
const members = (process.env.MEMBERS ?? '').split(',').filter((host) => host !== '');
const setName = process.env.REPLICA_SET_NAME;
const rootUser = process.env.MONGO_ROOT_USERNAME;
const rootPassword = process.env.MONGO_ROOT_PASSWORD;
const NOT_YET_INITIALIZED = 94;

function adminDb(host) {
  const conn = new Mongo(`mongodb://${host}/?directConnection=true&serverSelectionTimeoutMS=3000`);
  const admin = conn.getDB('admin');
  admin.auth(rootUser, rootPassword);
  return admin;
}

function answers(host) {
  try {
    const conn = new Mongo(`mongodb://${host}/?directConnection=true&serverSelectionTimeoutMS=3000`);
    return conn.getDB('admin').runCommand({ ping: 1 }).ok === 1;
  } catch {
    return false;
  }
}

/** One reconciliation step; returns true when every expected member is in the config. */
function step() {
  const local = adminDb('127.0.0.1:27017');
  const status = local.runCommand({ replSetGetStatus: 1 });
  if (status.ok !== 1) {
    if (status.code !== NOT_YET_INITIALIZED) {
      print(`waiting for mongod with --replSet: ${status.errmsg}`);
      return false;
    }
    print(`initiating ${setName} with ${members[0]}`);
    printjson(local.runCommand({ replSetInitiate: { _id: setName, members: [{ _id: 0, host: members[0] }] } }));
    return false;
  }
  const hello = local.runCommand({ hello: 1 });
  if (!hello.primary) {
    print('waiting for a primary');
    return false;
  }
  const primary = hello.isWritablePrimary ? local : adminDb(hello.primary);
  const { config } = primary.runCommand({ replSetGetConfig: 1 });
  const known = new Set(config.members.map((member) => member.host));
  const missing = members.filter((host) => !known.has(host));
  if (missing.length === 0) return true;
  // A plain loop: mongosh runs shell-API functions asynchronously, so avoid passing one as an Array callback.
  let next;
  for (const host of missing) {
    if (answers(host)) {
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
  printjson(primary.runCommand({ replSetReconfig: config }));
  return false;
}

for (;;) {
  let done = false;
  try {
    done = step();
  } catch (error) {
    print(`retrying: ${error.message}`);
  }
  if (done) {
    print(`replica set ${setName} has all ${members.length} members`);
    break;
  }
  sleep(5000);
}
