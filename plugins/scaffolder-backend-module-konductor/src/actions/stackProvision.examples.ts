import type { TemplateExample } from '@backstage/plugin-scaffolder-node';

/** Examples of `konductor:stack:provision` a template author can copy. */
export const examples: TemplateExample[] = [
  {
    description:
      'A Node.js app on EKS with PostgreSQL, whose password RDS keeps and rotates, and a generated session key (rotated by the rotation function configured as konductor.aws.rotationFunctionName).',
    example: `steps:
  - id: stack
    name: Provision the stack
    action: konductor:stack:provision
    input:
      name: shop
      environment: dev
      owner: group:default/team-a
      target:
        provider: aws
        accountId: '123456789012'
        region: us-east-1
      complianceLevel: moderate
      resources:
        network:
          cidr: 10.0.0.0/16
          natGateways: 1 # the nodes pull the app's image from the internet
        database:
          instanceClass: db.t4g.small
          backupRetentionDays: 7
          passwordRotationDays: 30
        secrets:
          generated: [SESSION_KEY]
          rotationDays: 30
        cluster:
          nodeInstanceType: t3.medium
          minNodes: 1
          desiredNodes: 2
          maxNodes: 3
        app:
          image: ghcr.io/acme/shop:1.0.0
          port: 8080
          env:
            DB_HOST: \${database.endpoint}
            DB_PORT: \${database.port}
          secretEnv:
            DB_PASSWORD: database.password
            SESSION_KEY: SESSION_KEY`,
  },
  {
    description:
      'A PostgreSQL database for an app that runs elsewhere: its password is in the secret RDS manages (output databaseSecretArn), rotated every 30 days.',
    example: `steps:
  - id: database
    name: Provision the database
    action: konductor:stack:provision
    input:
      name: billing-db
      environment: staging
      owner: group:default/team-a
      target:
        provider: aws
        accountId: '123456789012'
        region: eu-west-1
      onFailure: retain
      resources:
        network:
          cidr: 10.20.0.0/20
          availabilityZones: 3
        database:
          engineVersion: '16.8'
          multiAz: true
          storageGb: 100
          passwordRotationDays: 30`,
  },
];
