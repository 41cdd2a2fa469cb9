# The "steps" image: the container-image Lambdas Preprocess, Restore and MetricsReport (one
# image; serverless.yml picks each function's handler with image.command, for example
# dist/functions/steps/preprocess/handler.handler). They need itk-wasm's WebAssembly pipelines (loaded
# from their npm package folders at run time), the C++ addon and data files found from the
# package root, so they ship as the installed package rather than an esbuild bundle.
# Build from the repo root, push to ECR and deploy with its digest (README "Deploying to AWS"):
#   docker build -f functions/lambda.Dockerfile -t medals-steps .

# Build stage: development dependencies, a compiler and cmake for the addon.
FROM public.ecr.aws/lambda/nodejs:22 AS build
RUN dnf install -y gcc-c++ make cmake python3 tar gzip \
 && dnf clean all
WORKDIR /build
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY functions ./functions
COPY native ./native
COPY models ./models
COPY workflows ./workflows
# npm ci runs `prepare` (npm run build: TypeScript, the report viewer bundle, the addon); the
# allowScripts policy of package.json, which npm >= 11.18 follows, skips onnxruntime-node's CUDA
# download (these steps run no model).
RUN npm install -g npm@11.19.1 \
 && npm ci --no-audit --no-fund \
 && npm prune --omit=dev

# Run stage: the Lambda Node.js 22 runtime with the built package in its task root.
FROM public.ecr.aws/lambda/nodejs:22
WORKDIR ${LAMBDA_TASK_ROOT}
# package.json: "type": "module" (ESM handlers) and the package root that data files are
# found from (functions/lib/core/package-info.ts).
COPY --from=build /build/package.json ./
COPY --from=build /build/node_modules ./node_modules
COPY --from=build /build/dist ./dist
COPY --from=build /build/native/build/Release ./native/build/Release
COPY --from=build /build/models/catalog ./models/catalog
COPY --from=build /build/functions/lib/metrics/surfel-normals.json ./functions/lib/metrics/surfel-normals.json
# The task root is read-only on Lambda; generated models and caches go to /tmp.
ENV MEDALS_MODEL_CACHE=/tmp/medals-models

# Overridden per function by ImageConfig.Command (serverless.yml).
CMD ["dist/functions/steps/preprocess/handler.handler"]
