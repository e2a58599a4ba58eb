"""The set-up's QR code, rendered to pixels and read by a barcode decoder, is the otpauth URI."""

from __future__ import annotations

import io

import resvg_py
import zxingcpp
from PIL import Image

from tests.support.auth import PASSWORD, sign_up
from tests.support.two_factor import BEGIN


async def test_the_qr_code_svg_decodes_to_the_otpauth_uri(client):
    token = (await sign_up(client, email="Zoë+2fa@example.com"))["token"]
    begun = (await client.gql(BEGIN, {"password": PASSWORD}, token=token))["data"]["beginTwoFactorSetup"]
    png = resvg_py.svg_to_bytes(svg_string=begun["qrCodeSvg"], background="#ffffff", zoom=2)
    image = Image.open(io.BytesIO(bytes(png))).convert("L")
    [barcode] = zxingcpp.read_barcodes(image)
    assert barcode.format == zxingcpp.BarcodeFormat.QRCode
    assert barcode.text == begun["otpauthUri"]
    assert begun["secret"] in barcode.text
