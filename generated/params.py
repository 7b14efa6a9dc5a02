# generated from spec/openapi.yaml by nox -s generate — do not edit
"""Request bodies as TypedDicts, for typed keyword arguments; and the request message roles."""

from __future__ import annotations

from typing import Annotated, Literal, TypeAlias, TypedDict

from msgspec import Meta

from .models import (
    ChatCompletionToolChoiceOption,
    CreateChatCompletionRequestAudio,
    CreateChatCompletionRequestFrequencyPenalty,
    CreateChatCompletionRequestFunctionCall,
    CreateChatCompletionRequestFunctions,
    CreateChatCompletionRequestN,
    CreateChatCompletionRequestPresencePenalty,
    CreateChatCompletionRequestResponseFormat,
    CreateChatCompletionRequestSeed,
    CreateChatCompletionRequestTool,
    CreateChatCompletionRequestTopLogprobs,
    CreateChatCompletionRequestWebSearchOptions,
    Metadata,
    ModelIdsShared,
    ModelResponsePropertiesSafetyIdentifier,
    ModelResponsePropertiesTemperature,
    ModelResponsePropertiesTopP,
    ModerationParam,
    ParallelToolCalls,
    PredictionContent,
    PromptCacheOptionsParam,
    ReasoningEffort,
    ResponseModalities,
    ServiceTier,
    StopConfiguration,
    TopLogprobs,
    Verbosity,
)

__all__ = [
    "CreateChatCompletionParams",
    "RequestMessageRole",
    "UpdateChatCompletionParams",
]

RequestMessageRole: TypeAlias = Literal["developer", "system", "user", "assistant", "tool", "function"]
"""The roles a request message may have (the tags of ``ChatCompletionRequestMessage``)."""


class CreateChatCompletionParams(TypedDict, total=False):
    """The fields of ``CreateChatCompletionRequest`` as keyword arguments; every key is optional here."""

    metadata: Metadata
    temperature: ModelResponsePropertiesTemperature | None
    top_p: ModelResponsePropertiesTopP | None
    user: Annotated[
        str,
        Meta(
            description="This field is being replaced by `safety_identifier` and `prompt_cache_key`. Use `prompt_cache_key` instead to maintain caching optimizations.\nA stable identifier for your end-users.\nUsed to boost cache hit rates by better bucketing similar requests and  to help OpenAI detect and prevent abuse. [Learn more](/docs/guides/safety-best-practices#safety-identifiers).\n"
        ),
    ]
    safety_identifier: ModelResponsePropertiesSafetyIdentifier | None
    prompt_cache_key: str | None
    prompt_cache_retention: Literal["in_memory", "24h"] | None
    prompt_cache_options: PromptCacheOptionsParam
    top_logprobs: (
        Annotated[
            CreateChatCompletionRequestTopLogprobs | TopLogprobs,
            Meta(
                description="An integer between 0 and 20 specifying the maximum number of most likely\ntokens to return at each token position, each with an associated log\nprobability. In some cases, the number of returned tokens may be fewer than\nrequested.\n`logprobs` must be set to `true` if this parameter is used.\n"
            ),
        ]
        | None
    )
    model: Annotated[
        ModelIdsShared,
        Meta(
            description="Model ID used to generate the response, like `gpt-4o` or `o3`. OpenAI\noffers a wide range of models with different capabilities, performance\ncharacteristics, and price points. Refer to the [model guide](/docs/models)\nto browse and compare available models.\n"
        ),
    ]
    service_tier: ServiceTier
    modalities: ResponseModalities
    verbosity: Verbosity
    reasoning_effort: ReasoningEffort
    max_completion_tokens: (
        Annotated[
            int,
            Meta(
                description="An upper bound for the number of tokens that can be generated for a completion, including visible output tokens and [reasoning tokens](/docs/guides/reasoning).\n"
            ),
        ]
        | None
    )
    frequency_penalty: (
        Annotated[
            CreateChatCompletionRequestFrequencyPenalty,
            Meta(
                description="Number between -2.0 and 2.0. Positive values penalize new tokens based on\ntheir existing frequency in the text so far, decreasing the model's\nlikelihood to repeat the same line verbatim.\n"
            ),
        ]
        | None
    )
    presence_penalty: (
        Annotated[
            CreateChatCompletionRequestPresencePenalty,
            Meta(
                description="Number between -2.0 and 2.0. Positive values penalize new tokens based on\nwhether they appear in the text so far, increasing the model's likelihood\nto talk about new topics.\n"
            ),
        ]
        | None
    )
    web_search_options: Annotated[
        CreateChatCompletionRequestWebSearchOptions,
        Meta(
            description="This tool searches the web for relevant results to use in a response.\nLearn more about the [web search tool](/docs/guides/tools-web-search?api-mode=chat).\n"
        ),
    ]
    response_format: Annotated[
        CreateChatCompletionRequestResponseFormat,
        Meta(
            description='An object specifying the format that the model must output.\n\nSetting to `{ "type": "json_schema", "json_schema": {...} }` enables\nStructured Outputs which ensures the model will match your supplied JSON\nschema. Learn more in the [Structured Outputs\nguide](/docs/guides/structured-outputs).\n\nSetting to `{ "type": "json_object" }` enables the older JSON mode, which\nensures the message the model generates is valid JSON. Using `json_schema`\nis preferred for models that support it.\n'
        ),
    ]
    audio: (
        Annotated[
            CreateChatCompletionRequestAudio,
            Meta(
                description='Parameters for audio output. Required when audio output is requested with\n`modalities: ["audio"]`. [Learn more](/docs/guides/audio).\n'
            ),
        ]
        | None
    )
    store: (
        Annotated[
            bool,
            Meta(
                description="Whether or not to store the output of this chat completion request for\nuse in our [model distillation](/docs/guides/distillation) or\n[evals](/docs/guides/evals) products.\n\nSupports text and image inputs. Note: image inputs over 8MB will be dropped.\n"
            ),
        ]
        | None
    )
    moderation: ModerationParam | None
    stop: StopConfiguration | None
    logit_bias: (
        Annotated[
            dict[str, int],
            Meta(
                description="Modify the likelihood of specified tokens appearing in the completion.\n\nAccepts a JSON object that maps tokens (specified by their token ID in the\ntokenizer) to an associated bias value from -100 to 100. Mathematically,\nthe bias is added to the logits generated by the model prior to sampling.\nThe exact effect will vary per model, but values between -1 and 1 should\ndecrease or increase likelihood of selection; values like -100 or 100\nshould result in a ban or exclusive selection of the relevant token.\n"
            ),
        ]
        | None
    )
    logprobs: (
        Annotated[
            bool,
            Meta(
                description="Whether to return log probabilities of the output tokens or not. If true,\nreturns the log probabilities of each output token returned in the\n`content` of `message`.\n"
            ),
        ]
        | None
    )
    max_tokens: (
        Annotated[
            int,
            Meta(
                description="The maximum number of [tokens](/tokenizer) that can be generated in the\nchat completion. This value can be used to control\n[costs](https://openai.com/api/pricing/) for text generated via API.\n\nThis value is now deprecated in favor of `max_completion_tokens`, and is\nnot compatible with [o-series models](/docs/guides/reasoning).\n"
            ),
        ]
        | None
    )
    n: (
        Annotated[
            CreateChatCompletionRequestN,
            Meta(
                description="How many chat completion choices to generate for each input message. Note that you will be charged based on the number of generated tokens across all of the choices. Keep `n` as `1` to minimize costs."
            ),
        ]
        | None
    )
    prediction: (
        Annotated[
            PredictionContent,
            Meta(
                description="Configuration for a [Predicted Output](/docs/guides/predicted-outputs),\nwhich can greatly improve response times when large parts of the model\nresponse are known ahead of time. This is most common when you are\nregenerating a file with only minor changes to most of the content.\n"
            ),
        ]
        | None
    )
    seed: (
        Annotated[
            CreateChatCompletionRequestSeed,
            Meta(
                description="This feature is in Beta.\nIf specified, our system will make a best effort to sample deterministically, such that repeated requests with the same `seed` and parameters should return the same result.\nDeterminism is not guaranteed, and you should refer to the `system_fingerprint` response parameter to monitor changes in the backend.\n"
            ),
        ]
        | None
    )
    tools: Annotated[
        list[CreateChatCompletionRequestTool],
        Meta(
            description="A list of tools the model may call. You can provide either\n[custom tools](/docs/guides/function-calling#custom-tools) or\n[function tools](/docs/guides/function-calling).\n"
        ),
    ]
    tool_choice: ChatCompletionToolChoiceOption
    parallel_tool_calls: ParallelToolCalls
    function_call: Annotated[
        CreateChatCompletionRequestFunctionCall,
        Meta(
            description='Deprecated in favor of `tool_choice`.\n\nControls which (if any) function is called by the model.\n\n`none` means the model will not call a function and instead generates a\nmessage.\n\n`auto` means the model can pick between generating a message or calling a\nfunction.\n\nSpecifying a particular function via `{"name": "my_function"}` forces the\nmodel to call that function.\n\n`none` is the default when no functions are present. `auto` is the default\nif functions are present.\n'
        ),
    ]
    functions: Annotated[
        CreateChatCompletionRequestFunctions,
        Meta(
            description="Deprecated in favor of `tools`.\n\nA list of functions the model may generate JSON inputs for.\n"
        ),
    ]


class UpdateChatCompletionParams(TypedDict, total=False):
    """The fields of ``UpdateChatCompletionRequest`` as keyword arguments; every key is optional here."""

    metadata: Metadata
