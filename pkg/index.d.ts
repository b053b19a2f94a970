/** Resolves once the WebAssembly module is instantiated (browser only). */
export declare function ready(): Promise<void>;
/** The SDK version baked into the WebAssembly module. */
export declare function version(): Promise<string>;
