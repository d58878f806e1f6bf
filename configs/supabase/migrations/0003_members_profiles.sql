-- Users and organization memberships, in the shape the Supabase frontend uses, so the API can
-- resolve an org's member emails (alert recipients) on every driver.
-- Applied as is to Supabase, PostgreSQL 15 and PGlite (Postgres 18): only features both share,
-- and no schema prefix, so the objects land in the first schema of search_path.
--
-- On Supabase the frontend's own migrations may already have created these tables (there
-- `profiles.id` also references `auth.users`, a schema that PostgreSQL and PGlite lack): IF NOT
-- EXISTS keeps this file a no-op there instead of failing the migration run.

CREATE TABLE IF NOT EXISTS profiles (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email text NOT NULL,
  full_name text,
  avatar_url text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS profiles_email_idx ON profiles (email);

CREATE TABLE IF NOT EXISTS organization_members (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- Deleting an organization (offboarding) removes its memberships with it.
  org_id uuid NOT NULL
    CONSTRAINT organization_members_org_id_fkey REFERENCES organizations (id) ON DELETE CASCADE,
  user_id uuid NOT NULL
    CONSTRAINT organization_members_user_id_fkey REFERENCES profiles (id) ON DELETE CASCADE,
  role text NOT NULL DEFAULT 'collaborator'
    CONSTRAINT organization_members_role_check CHECK (role IN ('owner', 'admin', 'collaborator', 'read_only')),
  status text NOT NULL DEFAULT 'active'
    CONSTRAINT organization_members_status_check CHECK (status IN ('active', 'inactive', 'invited')),
  invited_by uuid,
  joined_at timestamptz DEFAULT now(),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT organization_members_org_id_user_id_key UNIQUE (org_id, user_id)
);

CREATE INDEX IF NOT EXISTS organization_members_user_id_idx ON organization_members (user_id);
CREATE INDEX IF NOT EXISTS organization_members_org_id_status_idx ON organization_members (org_id, status);

-- Only on a table with an updated_at column: the dashboard's organization_members has none (it
-- keeps joined_at and last_active_at), and a trigger setting one would fail every update of it.
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['profiles', 'organization_members'] LOOP
    IF EXISTS (
      SELECT 1 FROM information_schema.columns c
      WHERE c.table_schema = current_schema() AND c.table_name = t AND c.column_name = 'updated_at'
    ) THEN
      EXECUTE format(
        'CREATE OR REPLACE TRIGGER %I BEFORE UPDATE ON %I FOR EACH ROW EXECUTE FUNCTION set_updated_at()',
        t || '_set_updated_at', t
      );
    END IF;
  END LOOP;
END
$$;

-- As for organizations: with RLS on and no policy, only the service role reaches the rows.
ALTER TABLE profiles ENABLE ROW LEVEL SECURITY;
ALTER TABLE organization_members ENABLE ROW LEVEL SECURITY;
