# The app image: worker and API from the same code (the command picks which).
FROM node:22-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY . .
RUN PRISMA_SCHEMA_ENGINE_BINARY=/bin/false npx prisma generate
ENV NODE_ENV=production
CMD ["npx", "tsx", "worker/main.ts"]
