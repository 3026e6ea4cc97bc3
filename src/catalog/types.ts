// The catalog's input and output shapes are declared once, in the shared contract (the catalog
// depends on shared, never the reverse); catalog code and its callers import them from here too.
export * from '../shared/contract/records';
