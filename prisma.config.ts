// Prisma 7 reads its settings here. Only `prisma generate` is used (offline: no engine download);
// migrations are applied by db/migrate.ts, see README "Database and migrations".
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
});
