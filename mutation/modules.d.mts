// Types for mutation/modules.mjs (plain JavaScript so stryker.config.mjs can import it).
export declare const tenantEngine: string[];
export declare const redisDcs: string[];
export declare const integration: string[];
export declare const unit: string[];
export declare const decision: string[];
