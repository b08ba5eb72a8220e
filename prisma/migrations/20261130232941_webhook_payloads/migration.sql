-- AlterTable
ALTER TABLE "webhook_deliveries" ADD COLUMN     "payload" JSONB;
