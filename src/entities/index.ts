export * from './customer.entity.js';
export * from './playbook-run.entity.js';
