// The store's schema, one migration per version, applied in order when a database opens.
// A migration is never edited once released: later changes are new migrations.

export interface Migration {
  readonly version: number
  readonly name: string
  readonly sql: string
}

export const migrations: ReadonlyArray<Migration> = [
  {
    version: 1,
    name: "events, rollups and profiles",
    sql: `
      -- One row per account; rollups are cut in time_zone (rebuilt from event_log if it changes).
      CREATE TABLE accounts (
        acct INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        time_zone TEXT NOT NULL
      );
      CREATE TABLE event_names (
        acct INTEGER NOT NULL,
        id INTEGER NOT NULL,
        name TEXT NOT NULL,
        PRIMARY KEY (acct, id),
        UNIQUE (acct, name)
      ) WITHOUT ROWID;
      -- Dense per-account profile numbers; properties are NULL until a profile record arrives.
      CREATE TABLE profiles (
        acct INTEGER NOT NULL,
        no INTEGER NOT NULL,
        key TEXT NOT NULL,
        ts INTEGER,
        properties TEXT,
        PRIMARY KEY (acct, no),
        UNIQUE (acct, key)
      ) WITHOUT ROWID;
      -- Every stored event, one row per batch (JSON): the truth the rollups are rebuilt from.
      CREATE TABLE event_log (
        seq INTEGER PRIMARY KEY,
        acct INTEGER NOT NULL,
        events TEXT NOT NULL
      );
      CREATE INDEX event_log_by_account ON event_log (acct, seq);
      CREATE TABLE day_counts (
        acct INTEGER NOT NULL,
        event INTEGER NOT NULL,
        day INTEGER NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (acct, event, day)
      ) WITHOUT ROWID;
      CREATE TABLE day_sums (
        acct INTEGER NOT NULL,
        event INTEGER NOT NULL,
        property TEXT NOT NULL,
        day INTEGER NOT NULL,
        total INTEGER NOT NULL,
        PRIMARY KEY (acct, event, property, day)
      ) WITHOUT ROWID;
      -- The distinct profiles of an event on a day: sorted 32-bit profile numbers.
      CREATE TABLE day_profiles (
        acct INTEGER NOT NULL,
        event INTEGER NOT NULL,
        day INTEGER NOT NULL,
        profiles BLOB NOT NULL,
        PRIMARY KEY (acct, event, day)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 2,
    name: "archived query answers",
    sql: `
      -- Finished reads a client may still poll (see AccountApi.AnswerArchive).
      CREATE TABLE query_answers (
        req_id INTEGER PRIMARY KEY,
        endpoint TEXT NOT NULL,
        answer TEXT NOT NULL,
        expires_at INTEGER NOT NULL
      );
      CREATE INDEX query_answers_by_expiry ON query_answers (expires_at);
    `,
  },
  {
    version: 3,
    name: "rollup sets, rebuilt in steps; day set changes for readers",
    sql: `
      -- Rollups (day_counts, day_sums, day_profiles) belong to a rollup set (their acct
      -- column), never reused: accounts.rollups answers queries, cut in time_zone; while the
      -- zone changes, rebuild_rollups is built from event_log up to rebuild_seq, then swapped.
      CREATE TABLE rollup_sets (id INTEGER PRIMARY KEY AUTOINCREMENT);
      INSERT INTO rollup_sets (id) SELECT acct FROM accounts;
      ALTER TABLE accounts ADD COLUMN rollups INTEGER;
      UPDATE accounts SET rollups = acct;
      ALTER TABLE accounts ADD COLUMN rebuild_zone TEXT;
      ALTER TABLE accounts ADD COLUMN rebuild_rollups INTEGER;
      ALTER TABLE accounts ADD COLUMN rebuild_seq INTEGER;
      -- Replaced rollup sets, deleted in steps.
      CREATE TABLE rollup_garbage (id INTEGER PRIMARY KEY);
      -- Day sets of distinct profiles that the writer changed, newest last: readers on other
      -- connections drop what they decoded of them.
      CREATE TABLE day_changes (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        rollups INTEGER NOT NULL,
        event INTEGER NOT NULL,
        day INTEGER NOT NULL
      );
    `,
  },
  {
    version: 4,
    name: "upload keys; sums in two parts",
    sql: `
      -- Idempotency keys of uploads, stored in the transaction of their batch: a repeat
      -- within expires_at (epoch ms) replays the refused positions instead of storing again.
      CREATE TABLE upload_keys (
        acct INTEGER NOT NULL,
        key TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        refused TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        PRIMARY KEY (acct, key)
      ) WITHOUT ROWID;
      CREATE INDEX upload_keys_by_expiry ON upload_keys (expires_at);
      -- A day's total is high * 2^24 + low, low in [0, 2^24): each part stays far inside
      -- 2^53, so every driver reads and binds it exactly (a Durable Object's SQL binds and
      -- reads integers as doubles), and a total is exact well past 2^63.
      ALTER TABLE day_sums RENAME COLUMN total TO low;
      ALTER TABLE day_sums ADD COLUMN high INTEGER NOT NULL DEFAULT 0;
      UPDATE day_sums SET
        high = (low - ((low % 16777216) + 16777216) % 16777216) / 16777216,
        low = ((low % 16777216) + 16777216) % 16777216;
      -- Archived answers belong to an account: accounts sharing a file never read each
      -- other's ('' in a database of one account, a Durable Object's).
      ALTER TABLE query_answers ADD COLUMN account TEXT NOT NULL DEFAULT '';
    `,
  },
  {
    version: 5,
    name: "day sets of distinct profiles in parts",
    sql: `
      -- A Durable Object refuses a BLOB over 2 MB: one event's profiles of one day (4 bytes
      -- each) are stored in parts of at most 1,000,000 bytes (250,000 profiles), by position:
      -- part p holds the sorted set's bytes from p * 1,000,000, and every part but the last
      -- is full (profileSets.ts, maxPartProfiles).
      CREATE TABLE day_profile_parts (
        acct INTEGER NOT NULL,
        event INTEGER NOT NULL,
        day INTEGER NOT NULL,
        part INTEGER NOT NULL,
        profiles BLOB NOT NULL,
        PRIMARY KEY (acct, event, day, part)
      ) WITHOUT ROWID;
      WITH RECURSIVE parts (acct, event, day, part) AS (
        SELECT acct, event, day, 0 FROM day_profiles
        UNION ALL
        SELECT parts.acct, parts.event, parts.day, parts.part + 1
        FROM parts JOIN day_profiles USING (acct, event, day)
        WHERE (parts.part + 1) * 1000000 < length(day_profiles.profiles)
      )
      INSERT INTO day_profile_parts (acct, event, day, part, profiles)
        -- substr() of an empty BLOB is NULL: such a set stays one empty part.
        SELECT acct, event, day, part,
          coalesce(substr(profiles, 1 + part * 1000000, 1000000), x'')
        FROM parts JOIN day_profiles USING (acct, event, day);
      DROP TABLE day_profiles;
      ALTER TABLE day_profile_parts RENAME TO day_profiles;
    `,
  },
  {
    version: 6,
    name: "profile properties in parts",
    sql: `
      -- A Durable Object refuses a string over 2 MB, and profile records merge their
      -- properties, so a profile's JSON can outgrow a row: past 1,000,000 bytes of UTF-8 it
      -- is cut into parts (accounts.ts, profileTextParts). \`profiles.properties\` holds the
      -- first, \`profile_parts\` the others (part 1 on), \`profiles.parts\` how many in all.
      ALTER TABLE profiles ADD COLUMN parts INTEGER NOT NULL DEFAULT 1;
      CREATE TABLE profile_parts (
        acct INTEGER NOT NULL,
        no INTEGER NOT NULL,
        part INTEGER NOT NULL,
        text TEXT NOT NULL,
        PRIMARY KEY (acct, no, part)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 7,
    name: "value slices; profile field names",
    sql: `
      -- The events of one event name with one value (JSON text) of one property are rolled
      -- up as an event of their own, numbered \`id\` (from 2^31) in the rollup tables' event
      -- column (valueSlices.ts). A property in unsliced_properties is not sliced (too many
      -- values, a value that is not a text, number or boolean, or too many properties).
      CREATE TABLE value_slices (
        acct INTEGER NOT NULL,
        event INTEGER NOT NULL,
        name TEXT NOT NULL,
        value TEXT NOT NULL,
        id INTEGER NOT NULL,
        PRIMARY KEY (acct, event, name, value)
      ) WITHOUT ROWID;
      CREATE INDEX value_slices_by_id ON value_slices (acct, id);
      CREATE TABLE unsliced_properties (
        acct INTEGER NOT NULL,
        event INTEGER NOT NULL,
        name TEXT NOT NULL,
        PRIMARY KEY (acct, event, name)
      ) WITHOUT ROWID;
      -- 1 when the rollup set answering the account's queries holds the slices of every
      -- logged event. Accounts stored before slices existed get them from a rebuild in
      -- their own zone, which their next upload starts; until then filters read the log.
      ALTER TABLE accounts ADD COLUMN sliced INTEGER NOT NULL DEFAULT 0;
      -- The names of the fields the account's profiles have had (profile records only add
      -- fields), for suggestions. A profile stored in parts (over 1 MB) adds its fields at
      -- its next record.
      CREATE TABLE profile_fields (
        acct INTEGER NOT NULL,
        name TEXT NOT NULL,
        PRIMARY KEY (acct, name)
      ) WITHOUT ROWID;
      INSERT OR IGNORE INTO profile_fields (acct, name)
        SELECT profiles.acct, fields.key FROM profiles, json_each(profiles.properties) AS fields
        WHERE profiles.parts = 1 AND json_valid(profiles.properties);
    `,
  },
  {
    version: 8,
    name: "time spans of event log rows",
    sql: `
      -- The first and last event time (epoch seconds) of each event_log row appended from
      -- this version on, so that a scan of a range of days reads only the rows that can
      -- hold events of it (eventScan.ts). Rows logged before have no span and are read.
      CREATE TABLE event_log_spans (
        acct INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        first_ts INTEGER NOT NULL,
        last_ts INTEGER NOT NULL,
        PRIMARY KEY (acct, seq)
      ) WITHOUT ROWID;
    `,
  },
]
